"""CONSENT_GOOGLE_CONSENT_MODE, CONSENT_MICROSOFT_UET and CONSENT_MICROSOFT_CLARITY: validated at
start-up (the message names the key), and turned into the config's ``vendors`` list."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from consent_sdk import ConfigurationError
from consent_sdk.config import CONSENT_MODE_DEFAULT
from tests.conftest import make_app


def vendors(tmp_path: Path, **config: Any) -> list[dict[str, Any]]:
    app = make_app(tmp_path, **config)
    with app.test_request_context():
        result: list[dict[str, Any]] = app.extensions["consent"].public_config("en")["vendors"]
    return result


def test_off_by_default(tmp_path: Path) -> None:
    assert vendors(tmp_path) == []


def test_true_and_a_plain_mapping_still_mean_google_consent_mode(tmp_path: Path) -> None:
    [google] = vendors(tmp_path, CONSENT_GOOGLE_CONSENT_MODE=True)
    assert google == {
        "name": "google",
        "types": CONSENT_MODE_DEFAULT,
        "default": [["consent", "default", {"security_storage": "granted"}]],
        "update": ["consent", "update"],
    }
    [google] = vendors(tmp_path, CONSENT_GOOGLE_CONSENT_MODE={"ad_storage": "marketing"})
    assert google["types"] == {"ad_storage": "marketing"}


def test_google_options_become_calls_in_order(tmp_path: Path) -> None:
    [google] = vendors(
        tmp_path,
        CONSENT_GOOGLE_CONSENT_MODE={
            "wait_for_update": 500,
            "url_passthrough": True,
            "ads_data_redaction": True,
            "regions": {"es, de": {"ad_storage": "granted"}, "US-CA": {"ad_user_data": "denied"}},
        },
    )
    assert google["types"] == CONSENT_MODE_DEFAULT  # "types" defaults to the built-in mapping
    assert google["default"] == [
        ["set", "url_passthrough", True],
        ["set", "ads_data_redaction", True],
        ["consent", "default", {"security_storage": "granted", "wait_for_update": 500}],
        ["consent", "default", {"ad_storage": "granted", "region": ["ES", "DE"]}],
        ["consent", "default", {"ad_user_data": "denied", "region": ["US-CA"]}],
    ]


def test_false_options_add_nothing_and_a_mapped_security_storage_is_not_forced(
    tmp_path: Path,
) -> None:
    [google] = vendors(
        tmp_path,
        CONSENT_GOOGLE_CONSENT_MODE={
            "types": {"security_storage": "necessary", "ad_storage": "marketing"},
            "url_passthrough": False,
        },
    )
    assert google["default"] == [["consent", "default", {}]]


def test_microsoft_uet_and_clarity(tmp_path: Path) -> None:
    uet, clarity = vendors(tmp_path, CONSENT_MICROSOFT_UET=True, CONSENT_MICROSOFT_CLARITY=True)
    assert uet == {
        "name": "uet",
        "types": {"ad_storage": "marketing"},
        "default": [["consent", "default", {}]],
        "update": ["consent", "update"],
    }
    assert clarity == {
        "name": "clarity",
        "types": {"ad_Storage": "marketing", "analytics_Storage": "analytics"},
        "default": [],
        "update": ["consentv2"],
    }
    [clarity] = vendors(tmp_path, CONSENT_MICROSOFT_CLARITY={"analytics_Storage": "analytics"})
    assert clarity["types"] == {"analytics_Storage": "analytics"}


def test_vendors_come_in_a_fixed_order(tmp_path: Path) -> None:
    names = [
        v["name"]
        for v in vendors(
            tmp_path,
            CONSENT_MICROSOFT_CLARITY=True,
            CONSENT_MICROSOFT_UET=True,
            CONSENT_GOOGLE_CONSENT_MODE=True,
        )
    ]
    assert names == ["google", "uet", "clarity"]


def test_a_type_may_follow_an_exempt_purpose(tmp_path: Path) -> None:
    [google, uet] = vendors(
        tmp_path,
        CONSENT_GOOGLE_CONSENT_MODE={"functionality_storage": "necessary"},
        CONSENT_MICROSOFT_UET={"ad_storage": "necessary"},
    )
    assert google["types"] == {"functionality_storage": "necessary"}
    assert uet["types"] == {"ad_storage": "necessary"}


BAD = [
    # Google: the shape, unknown keys, types and purposes.
    ({"CONSENT_GOOGLE_CONSENT_MODE": "yes"}, r"CONSENT_GOOGLE_CONSENT_MODE must be False, True"),
    ({"CONSENT_GOOGLE_CONSENT_MODE": {}}, r"CONSENT_GOOGLE_CONSENT_MODE must be False, True"),
    ({"CONSENT_GOOGLE_CONSENT_MODE": {"ad_storage": "ads"}}, "unknown purpose 'ads'"),
    (
        {"CONSENT_GOOGLE_CONSENT_MODE": {"ad_storge": "marketing"}},
        r"CONSENT_GOOGLE_CONSENT_MODE has unknown consent type 'ad_storge'",
    ),
    (
        {"CONSENT_GOOGLE_CONSENT_MODE": {"types": True, "region": {}}},
        r"CONSENT_GOOGLE_CONSENT_MODE has unknown keys \['region'\]",
    ),
    (
        {"CONSENT_GOOGLE_CONSENT_MODE": {"types": {"ad_storage": "ads"}}},
        r"CONSENT_GOOGLE_CONSENT_MODE\['types'\] maps 'ad_storage' to unknown purpose 'ads'",
    ),
    (
        {"CONSENT_GOOGLE_CONSENT_MODE": {"types": False}},
        r"CONSENT_GOOGLE_CONSENT_MODE\['types'\] must be True or a mapping",
    ),
    (
        {"CONSENT_GOOGLE_CONSENT_MODE": {"wait_for_update": "500"}},
        r"CONSENT_GOOGLE_CONSENT_MODE\['wait_for_update'\] must be a whole number",
    ),
    (
        {"CONSENT_GOOGLE_CONSENT_MODE": {"wait_for_update": -1}},
        r"\['wait_for_update'\] must be a whole number",
    ),
    (
        {"CONSENT_GOOGLE_CONSENT_MODE": {"wait_for_update": True}},
        r"\['wait_for_update'\] must be a whole number",
    ),
    (
        {"CONSENT_GOOGLE_CONSENT_MODE": {"url_passthrough": "true"}},
        r"CONSENT_GOOGLE_CONSENT_MODE\['url_passthrough'\] must be True or False",
    ),
    (
        {"CONSENT_GOOGLE_CONSENT_MODE": {"ads_data_redaction": 1}},
        r"\['ads_data_redaction'\] must be True or False",
    ),
    # Regions: codes, repeats, states, types.
    (
        {"CONSENT_GOOGLE_CONSENT_MODE": {"regions": ["ES"]}},
        r"CONSENT_GOOGLE_CONSENT_MODE\['regions'\] must map region codes",
    ),
    (
        {"CONSENT_GOOGLE_CONSENT_MODE": {"regions": {"Spain": {"ad_storage": "denied"}}}},
        r"\['regions'\] has region 'SPAIN' in 'Spain'",
    ),
    (
        {"CONSENT_GOOGLE_CONSENT_MODE": {"regions": {"ES,": {"ad_storage": "denied"}}}},
        r"\['regions'\] has region '' in 'ES,'",
    ),
    (
        {"CONSENT_GOOGLE_CONSENT_MODE": {"regions": {"US-CALIF": {"ad_storage": "denied"}}}},
        r"has region 'US-CALIF'",
    ),
    (
        {
            "CONSENT_GOOGLE_CONSENT_MODE": {
                "regions": {"ES,DE": {"ad_storage": "denied"}, "DE": {"ad_storage": "granted"}}
            }
        },
        r"\['regions'\] lists region 'DE' twice",
    ),
    (
        {"CONSENT_GOOGLE_CONSENT_MODE": {"regions": {"ES": {}}}},
        r"\['regions'\]\['ES'\] must map consent types to 'granted' or 'denied'",
    ),
    (
        {"CONSENT_GOOGLE_CONSENT_MODE": {"regions": {"ES": {"ad_storage": "yes"}}}},
        r"\['regions'\]\['ES'\]\['ad_storage'\] must be 'granted' or 'denied', not 'yes'",
    ),
    (
        {
            "CONSENT_GOOGLE_CONSENT_MODE": {
                "types": {"ad_storage": "marketing"},
                "regions": {"ES": {"analytics_storage": "denied"}},
            }
        },
        r"\['regions'\]\['ES'\] sets 'analytics_storage', which is not a mapped consent type",
    ),
    # Microsoft UET and Clarity.
    ({"CONSENT_MICROSOFT_UET": "on"}, r"CONSENT_MICROSOFT_UET must be False, True"),
    (
        {"CONSENT_MICROSOFT_UET": {"ad_user_data": "marketing"}},
        r"CONSENT_MICROSOFT_UET has unknown consent type 'ad_user_data'; the types are ad_storage",
    ),
    ({"CONSENT_MICROSOFT_UET": {"ad_storage": "ads"}}, r"CONSENT_MICROSOFT_UET maps 'ad_storage'"),
    (
        {"CONSENT_MICROSOFT_CLARITY": {"analytics_storage": "analytics"}},
        r"CONSENT_MICROSOFT_CLARITY has unknown consent type 'analytics_storage'",
    ),
    (
        {"CONSENT_MICROSOFT_CLARITY": {"ad_Storage": "tracking"}},
        r"CONSENT_MICROSOFT_CLARITY maps 'ad_Storage' to unknown purpose 'tracking'",
    ),
    # True needs the purposes of the built-in mapping.
    (
        {
            "CONSENT_PURPOSES": ["necessary", {"id": "analytics", "cookies": ["_ga"]}],
            "CONSENT_MICROSOFT_UET": True,
        },
        r"CONSENT_MICROSOFT_UET maps 'ad_storage' to unknown purpose 'marketing'",
    ),
]


@pytest.mark.parametrize(("config", "message"), BAD)
def test_bad_vendor_settings_fail_at_start_up(
    tmp_path: Path, config: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make_app(tmp_path, **config)
