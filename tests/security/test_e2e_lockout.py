"""What a locked-out visitor sees, in both languages, on a desktop and a phone."""

import pytest

from initiatives.factories import UserFactory
from tests.conftest import axe_violations, screenshot

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}], ids=["desktop", "phone"]
)
def test_the_lockout_page_says_when_to_try_again(page, language, viewport):
    user = UserFactory()
    page.set_viewport_size(viewport)
    for _n in range(5):
        page.goto(f"{page.base_url}/{language}/accounts/login/")
        page.fill("#id_username", user.email)
        page.fill("#id_password", "wrong password")
        page.locator("main button[type=submit]").click()
        page.wait_for_load_state()
    assert page.locator("h1").inner_text() in ("Too many attempts", "Troppi tentativi")
    assert "30" in page.locator("main").inner_text()
    screenshot(page, f"security-lockout-{language}-{viewport['width']}")
    assert axe_violations(page) == []
