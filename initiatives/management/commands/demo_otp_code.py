"""`manage.py demo_otp_code`: the code the demo staff accounts' authenticator
shows now, for trying the admin without an app (not in production)."""

import time
from base64 import b32decode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from initiatives.factories import DEMO_OTP_SECRET

STEP = 30


class Command(BaseCommand):
    help = "Print the current second-factor code of the demo staff accounts (admin, curatore)."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("demo_otp_code is for the demo data: it does not run with POPS_ENV=production.")
        now = time.time()
        code = totp(b32decode(DEMO_OTP_SECRET), step=STEP, digits=6)
        left = STEP - int(now) % STEP
        self.stdout.write(f"{code:06d}  (valid for {left} more seconds; admin and curatore)")
