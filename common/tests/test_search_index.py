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
