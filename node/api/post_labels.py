"""Words residents see for post categories, offer kinds, reactions and answers (msgids)."""

from __future__ import annotations

from typing import Any

from node.errors import N_
from node.models.posts import Category, OfferKind, ReactionKind, RsvpAnswer

CATEGORY_LABELS = {
    Category.HELP_REQUEST: N_("Help request"),
    Category.OFFER: N_("Offer"),
    Category.EVENT: N_("Event"),
    Category.TIP: N_("Tip"),
    Category.LOST_FOUND: N_("Lost and found"),
    Category.PUBLIC_SPACE: N_("Road works and public space"),
    Category.GENERAL: N_("General"),
}

OFFER_LABELS = {
    OfferKind.LEND: N_("To lend"),
    OfferKind.GIVE: N_("To give away"),
    OfferKind.SELL: N_("To sell cheaply"),
}

REACTION_LABELS = {
    ReactionKind.THANKS: N_("Thanks"),
    ReactionKind.LIKE: N_("Like"),
    ReactionKind.SUPPORT: N_("Support"),
}

RSVP_LABELS = {
    RsvpAnswer.GOING: N_("Going"),
    RsvpAnswer.MAYBE: N_("Maybe"),
}


def label_context() -> dict[str, Any]:
    """What every posts template uses to name things."""
    return {
        "category_labels": CATEGORY_LABELS,
        "offer_labels": OFFER_LABELS,
        "reaction_labels": REACTION_LABELS,
        "rsvp_labels": RSVP_LABELS,
    }
