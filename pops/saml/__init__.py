"""SAML single sign-on (IDEM federation, the Politecnico's Shibboleth IdP),
off unless configured (README "Environment variables", POPS_SAML_*).

- `config.py` builds the settings from the environment (no Django models:
  settings.py imports it);
- `attributes.py` reads the attributes an IdP released (pure functions);
- `backend.py` finds or creates the account and the researcher's profile;
- `views.py` and `urls.py`: djangosaml2's views with the portal's rails
  (security events, one IdP, no redirect off the site).
"""
