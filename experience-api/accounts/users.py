"""The user of a request, as resolved from its Bearer authenticator by models-api."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ApiUser:
    """What DRF sees as ``request.user``; there is no local user table."""

    id: int
    username: str
    display_name: str = ""
    email: str = ""
    bio: str = ""
    date_joined: str | None = None
    token: str = field(default="", repr=False)

    is_authenticated = True
    is_anonymous = False

    @classmethod
    def from_models_api(cls, user: dict, token: str) -> ApiUser:
        return cls(
            id=int(user["id"]),
            username=user["username"],
            display_name=user.get("display_name") or "",
            email=user.get("email") or "",
            bio=user.get("bio") or "",
            date_joined=user.get("date_joined"),
            token=token,
        )

    def as_dict(self) -> dict:
        """The owner's own view of the user (``GET /me``)."""
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "email": self.email,
            "bio": self.bio,
            "date_joined": self.date_joined,
        }
