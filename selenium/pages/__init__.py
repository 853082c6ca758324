"""Page objects of the marketplace site: locators live here, never in the tests.

Locators come from the public contract (CONTRACTS.md): form field names, link hrefs,
button types, the header's search form, plus the few ids/data-testids the templates
expose. No XPath.
"""

from pages.header import Header
from pages.home import HomePage
from pages.listing import ListingPage
from pages.login import LoginPage
from pages.new_listing import NewListingPage
from pages.password_reset import PasswordResetPage, PasswordResetRequestPage
from pages.search_results import SearchResultsPage
from pages.signup import SignupPage
from pages.trade import OrderPage, ThreadPage

__all__ = [
    "Header",
    "HomePage",
    "ListingPage",
    "LoginPage",
    "NewListingPage",
    "OrderPage",
    "PasswordResetPage",
    "PasswordResetRequestPage",
    "SearchResultsPage",
    "SignupPage",
    "ThreadPage",
]
