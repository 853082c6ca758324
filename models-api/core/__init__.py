"""Service plumbing shared by the apps of models-api: errors, auth, parsing, health."""
