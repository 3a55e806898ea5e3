"""Course plumbing: the milestone demos, their reports and releases, and who did what.

The course's grading code, kept apart from the team's own CI/CD: `demo` runs
every check of a milestone (`nox -s demo -- <milestone>`) as `milestones`
describes them, `checks` runs one and says why it failed, `report` and
`figures` write reports/<milestone>.md, `release` publishes it as the GitHub
Release of the milestone's tag, and `contributions` reads who did what in the
rooms they own from the git history. Template updates bring its fixes.
"""
