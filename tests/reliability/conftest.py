"""Fixtures of the reliability suite: none of its own. Each test signs in to the installation
it starts with ``tests.support.signed_in`` (an API key for the payer simulator, and a user
holding every role a claim's life needs), and the fuzz tests send those headers on every
generated request, so that they exercise the routes rather than the authentication's 401.
"""
