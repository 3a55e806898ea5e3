"""Infrastructure as code: the team's Chameleon resources (`nox -s infra`).

`resources.yml` describes them (a flavor reservation, security groups, VMs with
cloud-init, floating IPs); `desired` reads it, `plan` computes the steps from
what exists, `cloud` carries them out through python-chi, `cli` is the command.
"""
