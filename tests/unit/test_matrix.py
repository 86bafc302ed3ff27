"""Who may do what (docs/domain.md: matrix): the decision matrix each profile ships, checked
against a table written here from the two policies, not from the profiles' data."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.policy import profile as profile_module
from app.domain.policy.access import ProfileError
from app.domain.policy.matrix import decide
from app.domain.policy.profile import PolicyProfile, load_profile, parse_profile
from app.domain.vocabulary import INFORMAL_KINDS, Action, MarkerKind, PolicyProfileName

FLINTSHIRE = load_profile(PolicyProfileName.FLINTSHIRE)
WREXHAM = load_profile(PolicyProfileName.WREXHAM)
PROFILES = {"flintshire": FLINTSHIRE, "wrexham": WREXHAM}
FORMAL = frozenset(MarkerKind) - INFORMAL_KINDS
PER_KIND = (Action.IMPOSE_MARKER, Action.VARY_MARKER, Action.LIFT_MARKER)

# -- the table, from the policies -------------------------------------------------------
# A permission is (action, kind); kind is None for an action that does not depend on one.
Perm = tuple[Action, MarkerKind | None]

READS: frozenset[Perm] = frozenset({(Action.READ_RESTRICTIONS, None), (Action.CHECK_CONTACT, None)})
# The event feed: ids, kinds and times of what changed, no free text. Whoever reads the
# restrictions may follow their changes (a CRM polls it instead of taking webhooks).
FEED: frozenset[Perm] = frozenset({(Action.READ_EVENTS, None)})
# The dry run: asking what any roles may do, without trying it.
EVALUATE: frozenset[Perm] = frozenset({(Action.EVALUATE_ACCESS, None)})
# Every member of staff: the reads, a marker with its history, the preferred language,
# recording a contact (terminating a call is any employee's, and is recorded as a contact),
# and asking the dry run.
STAFF: frozenset[Perm] = (
    READS
    | FEED
    | EVALUATE
    | {
        (Action.READ_MARKER, None),
        (Action.SET_PREFERENCES, None),
        (Action.RECORD_CONTACT, None),
        # Recording what happened: "any employee" (Flintshire), "any staff member"
        # (Wrexham) witnesses it; reading incidents back is every member of staff's too.
        (Action.RECORD_INCIDENT, None),
        (Action.READ_INCIDENTS, None),
        # The ladder's first two steps: "any employee" / "any staff member" warns on the
        # call and terminates it; the case file is every member of staff's to read.
        (Action.RECORD_CALL_WARNING, None),
        (Action.TERMINATE_CALL, None),
        (Action.READ_DECISIONS, None),
        # An appeal is "in writing": whoever opens the letter records that it came.
        (Action.LODGE_APPEAL, None),
        # The reviews worklist: any member of staff may be asked where a review stands.
        (Action.READ_REVIEWS, None),
    }
)


def manage(kinds: frozenset[MarkerKind]) -> frozenset[Perm]:
    """Impose, and so vary and lift, markers of these kinds."""
    return frozenset((action, kind) for action in PER_KIND for kind in kinds)


# "Restrict contact for one day" / "restrict telephone contact for a period".
SUSPEND = manage(frozenset({MarkerKind.TELEPHONE_SUSPENSION})) | {(Action.RESTRICT_TELEPHONE, None)}
# Flintshire: "The Team Leader/Manager will consider a (formal) warning ... or refer the
# matter to CCSM". Wrexham 5.1: the Team Manager warns formally and refers.
WARN_AND_REFER: frozenset[Perm] = frozenset(
    {(Action.SEND_WARNING_LETTER, None), (Action.REFER, None)}
)
# Whoever formally manages contact may ask a Chief Officer for guidance (Flintshire
# Appendix 1: "made by the CCSM"; Wrexham has no such step, and the matrix names the same).
DECIDE: frozenset[Perm] = frozenset(
    {(Action.MAKE_FORMAL_DECISION, None), (Action.REFER_TO_CHIEF_OFFICER, None)}
)
# "The decision to manage contact ... will be reviewed by the decision maker" (Flintshire
# "Reviewing decisions"; its matrix: "Review decision: CCSM"; Wrexham 7.1): whoever may
# formally manage contact reviews, and the roles senior to them.
REVIEW: frozenset[Perm] = frozenset({(Action.REVIEW_DECISION, None)})
# The Chief Officer's analysis and recommendation on a referral.
ADVISE: frozenset[Perm] = frozenset({(Action.ADVISE_ON_REFERRAL, None)})
# Closing every line of contact: only above whoever formally manages contact.
OVERRIDE: frozenset[Perm] = frozenset({(Action.OVERRIDE_LEAST_RESTRICTIVE, None)})
# Flintshire "Appealing a decision": to the Chief Officer Governance. Wrexham 7.2-7.3: the
# Complaints Team (led by the Complaints Lead), or the Chief Officer - Governance & Customer.
APPEAL: frozenset[Perm] = frozenset({(Action.DECIDE_APPEAL, None)})
# Flintshire: "the CCSM will review all restrictions imposed" at the year's end; Wrexham has
# no annual review, so those who formally manage contact read the same report.
ANNUAL: frozenset[Perm] = frozenset({(Action.READ_ANNUAL_REVIEW, None)})
# `reader` and `contact_recorder` are services with one job each: no dry run for them.
MACHINES: dict[str, frozenset[Perm]] = {
    "reader": READS | FEED,
    # Records for a member of staff (telephony, a CRM's incident form); reads nothing back.
    "contact_recorder": frozenset({(Action.RECORD_CONTACT, None), (Action.RECORD_INCIDENT, None)}),
    # The auditor reads the record, incidents included; the reader only needs the answer.
    "auditor": READS
    | FEED
    | EVALUATE
    | ANNUAL
    | {
        (Action.READ_MARKER, None),
        (Action.READ_INCIDENTS, None),
        (Action.READ_DECISIONS, None),
        # The auditor checks that no review is missed.
        (Action.READ_REVIEWS, None),
    },
    # Service settings: webhook subscriptions are the admin's, and nobody else's (they
    # send every customer's changes to a URL of the subscriber's choosing).
    "admin": EVALUATE | {(Action.MANAGE_SUBSCRIPTIONS, None)},
}

FLINTSHIRE_FORMAL = manage(FORMAL - {MarkerKind.CONTACT_QUOTA})  # Flintshire has no quota
EXPECTED: dict[str, dict[str, frozenset[Perm]]] = {
    "flintshire": {
        "employee": STAFF,
        "team_leader": STAFF | SUSPEND | WARN_AND_REFER,
        # "Formally manage contact": the CCSM or any other senior manager.
        "ccsm": STAFF | SUSPEND | WARN_AND_REFER | FLINTSHIRE_FORMAL | DECIDE | ANNUAL | REVIEW,
        "chief_officer": STAFF
        | SUSPEND
        | WARN_AND_REFER
        | FLINTSHIRE_FORMAL
        | DECIDE
        | REVIEW
        | OVERRIDE
        | ADVISE
        | ANNUAL,
        "chief_officer_governance": STAFF
        | SUSPEND
        | WARN_AND_REFER
        | FLINTSHIRE_FORMAL
        | DECIDE
        | REVIEW
        | OVERRIDE
        | ADVISE
        | ANNUAL
        | APPEAL,
        **MACHINES,
    },
    "wrexham": {
        "staff": STAFF,
        "line_manager": STAFF | SUSPEND,
        "team_manager": STAFF | SUSPEND | WARN_AND_REFER,
        "service_manager": STAFF
        | SUSPEND
        | WARN_AND_REFER
        | manage(FORMAL)
        | DECIDE
        | ANNUAL
        | REVIEW,
        # Leads the Complaints Team, so decides the appeals it decides.
        "complaints_lead": STAFF
        | SUSPEND
        | WARN_AND_REFER
        | manage(FORMAL)
        | DECIDE
        | ANNUAL
        | APPEAL
        | REVIEW,
        "complaints_team": STAFF | APPEAL,
        "chief_officer_governance_customer": STAFF
        | SUSPEND
        | WARN_AND_REFER
        | manage(FORMAL)
        | DECIDE
        | REVIEW
        | OVERRIDE
        | ADVISE
        | ANNUAL
        | APPEAL,
        **MACHINES,
    },
}

# Junior, senior: the senior may do everything the junior may.
LADDERS = {
    "flintshire": [
        ("employee", "team_leader"),
        ("team_leader", "ccsm"),
        ("ccsm", "chief_officer"),
        ("chief_officer", "chief_officer_governance"),
    ],
    "wrexham": [
        ("staff", "line_manager"),
        ("line_manager", "team_manager"),
        ("team_manager", "service_manager"),
        ("team_manager", "complaints_lead"),
        ("staff", "complaints_team"),
        ("service_manager", "chief_officer_governance_customer"),
        ("complaints_lead", "chief_officer_governance_customer"),
    ],
}


def may(profile: str, role: str, action: Action, kind: MarkerKind) -> bool:
    granted = EXPECTED[profile][role]
    return (action, None) in granted or (action, kind) in granted


CASES = [
    (profile, role, action, kind)
    for profile, roles in EXPECTED.items()
    for role in roles
    for action in Action
    for kind in MarkerKind
]


@pytest.mark.parametrize(("profile", "role", "action", "kind"), CASES)
def test_each_role_may_do_exactly_what_its_policy_says(
    profile: str, role: str, action: Action, kind: MarkerKind
) -> None:
    decision = decide(PROFILES[profile], frozenset({role}), action, kind)
    assert decision.allowed is may(profile, role, action, kind), decision.reason
    # The explanation agrees with the answer: the roles it lists are exactly those the
    # table lets do this.
    assert set(decision.allowed_roles) == {
        r for r in EXPECTED[profile] if may(profile, r, action, kind)
    }


@pytest.mark.parametrize("profile", PROFILES)
def test_the_profile_declares_exactly_the_roles_of_its_policy(profile: str) -> None:
    assert PROFILES[profile].access.roles == set(EXPECTED[profile])
    assert set(PROFILES[profile].access.machine_roles) == set(MACHINES)


def test_a_decision_names_the_rule_and_who_would_be_allowed() -> None:
    refused = decide(
        FLINTSHIRE, frozenset({"employee"}), Action.IMPOSE_MARKER, MarkerKind.TELEPHONE_SUSPENSION
    )
    assert not refused.allowed
    assert refused.rule == "impose_marker.telephone_suspension: team_leader and above"
    assert refused.allowed_roles == (
        "ccsm",
        "chief_officer",
        "chief_officer_governance",
        "team_leader",
    )
    assert "employee may not" in refused.reason

    allowed = decide(
        WREXHAM,
        frozenset({"complaints_lead", "reader"}),
        Action.LIFT_MARKER,
        MarkerKind.CHANNEL_LIMIT,
    )
    assert allowed.allowed
    assert "complaints_lead" in allowed.reason
    assert "service_manager and above, or complaints_lead and above" in allowed.rule


def test_a_per_kind_action_without_a_kind_is_refused_with_a_reason() -> None:
    decision = decide(
        FLINTSHIRE, frozenset({"chief_officer_governance"}), Action.IMPOSE_MARKER, None
    )
    assert not decision.allowed
    assert "per marker kind" in decision.reason


def test_the_kind_does_not_change_an_action_decided_once() -> None:
    for kind in (None, *MarkerKind):
        assert decide(WREXHAM, frozenset({"reader"}), Action.CHECK_CONTACT, kind).allowed


# -- properties -----------------------------------------------------------------------

profiles = st.sampled_from(sorted(PROFILES))
actions = st.sampled_from(list(Action))
kinds = st.sampled_from(list(MarkerKind))


@given(profiles, actions, kinds, st.data())
def test_a_senior_role_may_do_everything_its_junior_may(
    name: str, action: Action, kind: MarkerKind, data: st.DataObject
) -> None:
    junior, senior = data.draw(st.sampled_from(LADDERS[name]))
    profile = PROFILES[name]
    if decide(profile, frozenset({junior}), action, kind).allowed:
        assert decide(profile, frozenset({senior}), action, kind).allowed


@given(profiles, actions, kinds, st.data())
def test_more_roles_never_take_a_permission_away(
    name: str, action: Action, kind: MarkerKind, data: st.DataObject
) -> None:
    known = sorted(EXPECTED[name])
    fewer = data.draw(st.frozensets(st.sampled_from(known)))
    more = fewer | data.draw(st.frozensets(st.sampled_from(known) | st.text(max_size=12)))
    profile = PROFILES[name]
    if decide(profile, fewer, action, kind).allowed:
        assert decide(profile, more, action, kind).allowed


@given(profiles, actions, st.none() | kinds)
def test_no_roles_may_do_nothing(name: str, action: Action, kind: MarkerKind | None) -> None:
    decision = decide(PROFILES[name], frozenset(), action, kind)
    assert not decision.allowed
    assert decision.reason


# Names a token may carry that no profile declares, including near misses.
unknown_roles = st.frozensets(
    st.text(max_size=30)
    | st.sampled_from(["Employee", "team-leader", "CCSM", "admin ", "staff_", "root", "*"]),
    min_size=1,
).filter(lambda roles: not roles & (FLINTSHIRE.access.roles | WREXHAM.access.roles))


@given(profiles, actions, kinds, unknown_roles)
def test_unknown_roles_may_do_nothing(
    name: str, action: Action, kind: MarkerKind, roles: frozenset[str]
) -> None:
    decision = decide(PROFILES[name], roles, action, kind)
    assert not decision.allowed
    if decision.allowed_roles:  # a kind the profile provides: the reason is the roles
        assert "knows" in decision.reason


@given(profiles, actions, st.data())
def test_someone_may_take_every_action_on_every_kind_the_profile_provides(
    name: str, action: Action, data: st.DataObject
) -> None:
    profile = PROFILES[name]
    kind = data.draw(st.sampled_from(sorted(profile.kinds)))
    decision = decide(profile, frozenset(), action, kind)
    assert decision.allowed_roles
    assert list(decision.allowed_roles) == sorted(decision.allowed_roles)
    assert decide(profile, frozenset(decision.allowed_roles[:1]), action, kind).allowed


@given(actions, st.frozensets(st.sampled_from(sorted(EXPECTED["flintshire"]))))
def test_contact_quota_only_under_wrexham(action: Action, roles: frozenset[str]) -> None:
    if action in PER_KIND:
        flintshire = decide(FLINTSHIRE, roles, action, MarkerKind.CONTACT_QUOTA)
        assert not flintshire.allowed
        assert flintshire.allowed_roles == ()
        assert "not a restriction" in flintshire.reason
        assert decide(WREXHAM, frozenset(), action, MarkerKind.CONTACT_QUOTA).allowed_roles


# -- the data is refused when wrong ---------------------------------------------------

SOURCE = (Path(profile_module.__file__).parent / "profiles" / "flintshire.toml").read_text(
    encoding="utf-8"
)


def edited(change: Callable[[dict[str, Any]], None]) -> PolicyProfile:
    raw = tomllib.loads(SOURCE)
    change(raw)
    return parse_profile(raw, "flintshire.toml")


def test_the_shipped_data_loads() -> None:
    assert edited(lambda raw: None).access.rules == FLINTSHIRE.access.rules


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda raw: raw["matrix"]["impose_marker"].update(channel_limit=["ccms"]),
            "[matrix] impose_marker.channel_limit: unknown role 'ccms'",
        ),
        (
            lambda raw: raw["matrix"].update(delete_customer=["ccsm"]),
            "[matrix] delete_customer: unknown action",
        ),
        (
            lambda raw: raw["matrix"]["impose_marker"].update(telephone_call_ban=["ccsm"]),
            "[matrix.impose_marker] telephone_call_ban: unknown marker kind",
        ),
        (
            lambda raw: raw["matrix"]["impose_marker"].update(contact_quota=["ccsm"]),
            "contact_quota is not a restriction this profile's kinds include",
        ),
        (
            lambda raw: raw["matrix"]["impose_marker"].pop("read_and_file"),
            "says nothing about read_and_file",
        ),
        (lambda raw: raw["matrix"].pop("record_contact"), "says nothing about record_contact"),
        (
            lambda raw: raw["matrix"].update(set_preferences=[]),
            "[matrix] set_preferences: names no role",
        ),
        (
            lambda raw: raw["matrix"].update(lift_marker="vary_marker"),
            "itself takes its rules from another action",
        ),
        (
            lambda raw: raw["matrix"].update(lift_marker="read_marker"),
            "is not another per-kind action",
        ),
        (
            lambda raw: raw["matrix"].update(read_marker={"channel_limit": ["ccsm"]}),
            "[matrix] read_marker: must be a list of roles",
        ),
        (
            lambda raw: raw["roles"]["staff"].update(employee=["chief_officer"]),
            "seniority goes round in a circle",
        ),
        (
            lambda raw: raw["roles"]["staff"].update(ccsm=["team_lead"]),
            "[roles] ccsm: inherits from unknown role 'team_lead'",
        ),
        (
            lambda raw: raw["roles"]["machine"].update(ccsm=[]),
            "[roles.machine] ccsm: is declared twice",
        ),
        (lambda raw: raw["roles"].update(robots={}), "unknown group 'robots'"),
        (lambda raw: raw.pop("matrix"), "[matrix]: missing"),
    ],
)
def test_a_mistake_in_the_data_is_refused_with_a_clear_message(
    change: Callable[[dict[str, Any]], None], message: str
) -> None:
    with pytest.raises(ProfileError) as refused:
        edited(change)
    assert message in str(refused.value)
    assert str(refused.value).startswith("flintshire.toml: ")
