"""`nox -s github-setup`: the repository's GitHub settings, made to match the template.

desired.py says what the template wants (from ci.yml, cicd/settings_check.py and
the team's members), current.py reads what GitHub has, changes.py compares the
two, and cli.py applies the changes: a second run finds none.
"""
