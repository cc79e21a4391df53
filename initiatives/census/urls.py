from django.urls import path

from . import views

app_name = "census"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("new/", views.initiative_new, name="new"),
    path("new/autosave/", views.autosave, name="autosave-new"),
    path("<int:pk>/", views.review, name="review"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/update/", views.propose_update, name="propose-update"),
    path("<int:pk>/invite/", views.invite_coauthor, name="invite"),
    path("<int:pk>/delete/", views.delete, name="delete"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/messages/", views.message, name="message"),
    path("<int:pk>/<slug:step>/", views.initiative_step, name="step"),
    path("<int:pk>/<slug:step>/autosave/", views.autosave, name="autosave"),
    path("invitations/<str:token>/", views.accept_invitation, name="accept-invitation"),
    path("leads/<str:token>/", views.lead_nomination, name="lead-nomination"),
    path("leads/answers/<int:pk>/", views.lead_nomination_answer, name="lead-nomination-answer"),
    path("campaigns/<str:token>/", views.campaign_link, name="campaign-link"),
    path("organisations/suggestions/", views.organisation_suggestions, name="organisation-suggestions"),
    path("people/suggestions/", views.person_suggestions, name="person-suggestions"),
]
