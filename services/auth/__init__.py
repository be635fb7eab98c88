"""Who is calling, and may they: identities, credentials, the route x role table, the audit log.

- ``principal``: the identity a request carries (a person or a machine, its roles, channel).
- ``users`` and ``apikeys``: local people (argon2 password hashes) and machines (hashed keys).
- ``tokens`` (claimflow as its own issuer) and ``oidc`` (an OpenID Connect provider's JWKS).
- ``authenticate``: the FastAPI dependency that turns a request's credential into a principal.
- ``policy``: the route x role table, and the dependency every router attaches.
- ``audit``: the append-only log of every write request.
"""
