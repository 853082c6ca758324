from mpcommon.search_index import LISTINGS_MAPPING, listing_document


class ListingDocumentTest:
    def test_document_fields_all_exist_in_the_mapping(self):
        listing = {
            "id": 1,
            "title": "Lamp",
            "description": "Brass",
            "price": "19.90",
            "category": {"slug": "home", "name": "Home & Garden"},
            "condition": "good",
            "status": "active",
            "seller": {"id": 2, "username": "bo", "display_name": ""},
            "view_count": 4,
            "created_at": "2026-11-21T07:00:00Z",
            "updated_at": "2026-11-21T07:00:00Z",
            "version": 3,
        }
        document = listing_document(listing)
        assert set(document) <= set(LISTINGS_MAPPING["properties"])
        assert document["price"] == 19.9
        assert document["seller_name"] == "bo"
        assert document["views"] == 4
        assert document["cover"] is None  # no photos in the listing

    def test_cover_is_the_first_photo(self):
        photo = {
            "id": 3,
            "position": 0,
            "width": 10,
            "height": 10,
            "url": "/media/x",
            "card_url": None,
            "detail_url": None,
        }
        listing = {
            "id": 1,
            "title": "Lamp",
            "description": "Brass",
            "price": "19.90",
            "category": {"slug": "home", "name": "Home"},
            "condition": "good",
            "status": "reserved",
            "seller": {"id": 2, "username": "bo"},
            "created_at": "2026-11-21T07:00:00Z",
            "updated_at": "2026-11-21T07:00:00Z",
            "version": 3,
            "photos": [photo, {**photo, "id": 4, "position": 1}],
        }
        assert listing_document(listing)["cover"] == photo
        assert listing_document({**listing, "photos": []})["cover"] is None

    def test_cover_is_stored_not_indexed(self):
        assert LISTINGS_MAPPING["properties"]["cover"] == {"type": "object", "enabled": False}
