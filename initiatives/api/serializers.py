"""Public fields only: nothing about people, budgets or the workflow."""

from rest_framework import serializers

from actionplan.models import InterventionArea
from impact.models import SDG, FieldOfAction, PublicEngagementCategory
from initiatives.models import Initiative, Place
from stakeholders.models import Organisation, Partnership


class VocabularySerializer(serializers.Serializer):
    code = serializers.CharField()
    name_it = serializers.CharField()
    name_en = serializers.CharField(allow_null=True)
    # Inactive entries are no longer offered for new records, but old ones
    # keep them and the filters still accept them.
    is_active = serializers.BooleanField()


class SDGSerializer(serializers.ModelSerializer):
    class Meta:
        model = SDG
        fields = ["number", "name_it", "name_en", "color"]


class FieldOfActionSerializer(serializers.ModelSerializer):
    """`id` is the value of the initiative filter `field` (codes repeat across editions)."""

    class Meta:
        model = FieldOfAction
        fields = ["id", "code", "name_it", "name_en", "valid_from", "valid_to", "is_active"]


class PublicEngagementCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = PublicEngagementCategory
        fields = ["id", "code", "name_it", "name_en", "valid_from", "valid_to", "is_active"]


class InterventionAreaSerializer(serializers.ModelSerializer):
    """`id` is the value of the initiative filter `area` (codes repeat across plans)."""

    vision = serializers.SlugRelatedField(slug_field="code", read_only=True)
    plan = serializers.SerializerMethodField()

    class Meta:
        model = InterventionArea
        fields = ["id", "code", "name_it", "name_en", "vision", "plan"]

    def get_plan(self, area) -> str:
        return area.vision.plan.code


class OrganisationSerializer(serializers.ModelSerializer):
    type = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Organisation
        fields = ["slug", "name", "type", "website", "municipality", "country"]


class PlaceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Place
        fields = ["municipality", "province", "region", "country", "latitude", "longitude"]


class InitiativeSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    departments = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    sectors = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    themes = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    sdgs = serializers.SlugRelatedField(slug_field="number", many=True, read_only=True)
    fields_of_action = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    pe_categories = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    intervention_areas = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    places = PlaceSerializer(many=True, read_only=True)
    partners = serializers.SerializerMethodField()

    class Meta:
        model = Initiative
        fields = [
            "slug",
            "url",
            "title_it",
            "title_en",
            "summary_it",
            "summary_en",
            "start_date",
            "end_date",
            "scale",
            "website",
            "keywords",
            *Initiative.EXCHANGED_CLASSIFICATIONS,
            "places",
            "partners",
            "published_at",
        ]

    def get_url(self, initiative) -> str:
        request = self.context.get("request")
        path = initiative.get_absolute_url()
        return request.build_absolute_uri(path) if request else path

    def get_partners(self, initiative) -> list[str]:
        return Partnership.names(initiative, Partnership.ALL_ROLES)
