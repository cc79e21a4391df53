from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """django.contrib.admin with the portal's site (second factor for staff)."""

    default_site = "pops.admin_site.StaffOTPAdminSite"
