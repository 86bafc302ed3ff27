"""The dry run: may these roles take this action (on this kind)? Shaped after the OpenID
AuthZEN Authorization API 1.0 evaluation endpoints, and answered by the very matrix function
enforcement calls (app/domain/policy/matrix.py), so that the two cannot disagree."""
