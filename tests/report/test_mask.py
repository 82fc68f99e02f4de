from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.report.mask import mask_id, mask_phone, scrub


def test_mask_id_keeps_first_and_last_four():
    # the brief wrote "1502…" for this input; its rule (first 4, last 4) gives "1501…"
    assert mask_id("150102198503051234") == "1501**********1234"
    assert mask_id("15010219850305123X") == "1501**********123X"


def test_mask_phone_keeps_first_three_and_last_four():
    assert mask_phone("13912345678") == "139****5678"


def test_masks_tolerate_missing_and_short_values():
    assert mask_id(None) == "" and mask_phone(None) == ""
    assert mask_id("") == "" and mask_phone("  ") == ""
    assert mask_id("1234") == "****"
    assert mask_phone("1391234") == "*******"
    assert mask_id("123456789") == "1234*6789"


@settings(max_examples=50)
@given(st.text(alphabet="0123456789X", min_size=9, max_size=30))
def test_mask_id_hides_the_middle(value):
    masked = mask_id(value)
    assert len(masked) == len(value)
    assert masked[:4] == value[:4] and masked[-4:] == value[-4:]
    assert set(masked[4:-4]) == {"*"}


def test_scrub_masks_numbers_quoted_in_text():
    text = "身份证号150102198503019999与第5行重复，联系电话13912345678；行号12345"
    assert scrub(text) == "身份证号1501**********9999与第5行重复，联系电话139****5678；行号12345"
    assert scrub("15010219850301999X") == "1501**********999X"
    assert scrub("2023-03-20") == "2023-03-20"


def test_scrub_leaves_shorter_digit_runs_and_masks_the_shortest_numbers():
    assert scrub("电话1391234567，编号0123456789") == "电话1391234567，编号0123456789"
    assert scrub("13912345678") == "139****5678"  # 11 digits: a mobile number
    assert scrub("150102850301999") == "1501*******1999"  # 15 digits: an old ID number
    wide = "２３４５６７８９０１２３"  # full-width digits: not masked
    assert scrub(wide) == wide
