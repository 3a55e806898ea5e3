"""The cicd room: environments, checks and the pipeline summary."""
