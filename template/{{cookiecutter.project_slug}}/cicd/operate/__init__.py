"""The production loop on one machine: `nox -s operate` (cicd/docs/operate.md).

Serve production, send it a day of production-like traffic with users'
feedback, evaluate it online and check for drift, retrain when the schedule or
an alert says so, compare the candidate with production on the same held-out
data, then try it as a canary on a share of live traffic behind the canary
gate: promote it, or keep production. Each step is the owning room's own
program run in that room's environment (`cicd.operate.rooms`); the loop itself
is `cicd.operate.loop`, its record of which model each stage serves
`cicd.operate.stages`, and its report (reports/operation.md)
`cicd.operate.report`.
"""
