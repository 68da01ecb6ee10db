"""Settings: an admin creates a user who can then log in; a new user's role is what the form said;
deactivating ends the user's session at once; support sees no user management."""

from __future__ import annotations

from playwright.sync_api import expect

from conveyor.auth.users import list_users
from tests.browser.conftest import PASSWORD, add_user, log_in, screenshot


def test_admin_creates_a_user_who_logs_in_and_deactivating_them_logs_them_out(admin, browser, server, container,
                                                                               tmp_path):
    admin.go("/settings")
    form = admin.page.get_by_role("form", name="New user")
    form.get_by_label("Username").fill("Packer.Pat")
    form.get_by_label("Full name").fill("Pat Packer")
    form.get_by_label("Role").select_option("ops")
    form.get_by_label("Password (10+ characters)").fill(PASSWORD)
    form.get_by_role("button", name="Create user").click()
    expect(admin.page.locator(".flash")).to_have_text("User packer.pat created.")
    expect(admin.page.locator('#users-table tr[data-user="packer.pat"]')).to_contain_text("ops")
    with container.reader() as uow:
        assert {(u.username, u.role, u.active) for u in list_users(uow)} >= {("packer.pat", "ops", True)}
    screenshot(admin, "settings", tmp_path)

    pat = log_in(browser, server, "packer.pat")
    expect(pat.page.locator("form.who")).to_contain_text("Pat Packer (ops)")
    row = admin.page.locator('#users-table tr[data-user="packer.pat"]')
    row.get_by_label("Active").select_option("no")
    row.get_by_role("button", name="Save").click()
    expect(admin.page.locator('#users-table tr[data-user="packer.pat"]')).to_contain_text("no")
    pat.page.goto(f"{server}/orders")
    expect(pat.page).to_have_url(f"{server}/login?next=/orders")  # the session ended with the deactivation
    pat.page.context.close()


def test_support_sees_no_user_management_and_may_not_post_it(browser, server, container):
    add_user(container, "support")
    support = log_in(browser, server, "support")
    support.go("/settings")
    expect(support.page.locator("#locations")).to_be_visible()
    expect(support.page.locator("#users")).to_have_count(0)
    csrf = support.page.locator('form.who input[name="csrf_token"]').get_attribute("value")
    response = support.page.request.post(f"{server}/settings/users", form={
        "csrf_token": csrf, "username": "mallory", "password": PASSWORD, "role": "admin"})
    assert response.status == 403
    with container.reader() as uow:
        assert "mallory" not in {u.username for u in list_users(uow)}
    support.page.context.close()
