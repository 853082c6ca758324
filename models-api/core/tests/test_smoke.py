import pytest


@pytest.mark.django_db
class SmokeTest:
    def test_categories(self, api_client):
        r = api_client.get("/api/v1/categories")
        assert r.status_code == 200, r.content
        print(r.json())
