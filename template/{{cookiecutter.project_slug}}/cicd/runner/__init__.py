"""GPU runners on the team's Chameleon machines: `nox -s runner -- <command>`.

`plan` prints what would be made (lease, server, user-data, runner registration)
without touching Chameleon; `up`, `down`, `status` and `gc` use python-chi, which
is imported only by those commands (see cicd/runner/requirements.txt).
"""
