"""ORCID sign-in (OAuth 2.0, scope /authenticate), off unless configured
(README "Environment variables", POPS_ORCID_*).

ORCID proves which ORCID iD a visitor holds; it never makes an account.

- `config.py` builds the settings from the environment (no Django models:
  settings.py imports it);
- `client.py` talks to ORCID through Authlib (the redirect with its state,
  the exchange of the code for the iD) and names each way it can fail;
- `backend.py` links an iD to a signed-in researcher's `Person`, and signs
  in the account whose `Person` holds an iD it confirmed that way;
- `views.py` and `urls.py`: the two endpoints, every outcome a message and
  a security event.
"""
