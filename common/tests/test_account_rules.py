"""The rules of a user's fields, shared by models-api, the experience API and web."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from mpcommon import account_rules
from mpcommon.account_rules import password_problems


class UsernameValidatorTest:
    @pytest.mark.parametrize("name", ["ada", "ada.l@x+y-z_1", "Zoë"])
    def test_letters_digits_and_symbols_accepted(self, name):
        account_rules.username_validator(name)

    @pytest.mark.parametrize("name", ["bad name", "a<b>", "semi;colon", ""])
    def test_other_characters_refused(self, name):
        with pytest.raises(ValidationError):
            account_rules.username_validator(name)


class PasswordProblemsTest:
    def test_strong_password_has_no_problems(self):
        assert password_problems("correct-Horse-9", username="ada", email="ada@example.com") == []

    def test_every_failed_rule_is_reported_at_once(self):
        assert password_problems("123") == [
            "This password is too short. It must contain at least 8 characters.",
            "This password is too common.",
            "This password is entirely numeric.",
        ]

    @pytest.mark.parametrize(
        ("attributes", "name"),
        [
            ({"username": "adalovelace"}, "username"),
            ({"email": "adalovelace@example.com"}, "email"),
            ({"display_name": "Ada Lovelace"}, "display name"),
        ],
    )
    def test_password_like_a_user_attribute_refused(self, attributes, name):
        problems = password_problems("adalovelace", **attributes)
        assert problems == [f"The password is too similar to the {name}."]

    def test_minimum_length_is_the_shared_constant(self):
        short = "Xq7!" + "z" * (account_rules.PASSWORD_MIN_LENGTH - 5)
        assert any("too short" in p for p in password_problems(short))
        assert password_problems(short + "w") == []
