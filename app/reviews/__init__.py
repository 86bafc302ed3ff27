"""Reviews of formal decisions, and the worklist that keeps any from being missed."""
