"""The headless-Chromium helper catches what the report browser test relies on."""

from browser import visit


def test_browser_catches_errors_requests_and_overflow(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(
        '<!DOCTYPE html><html><body><img src="http://example.invalid/x.png">'
        '<script>console.error("boom")</script>'
        '<table style="width:3000px"><tr><td>wide</td></tr></table></body></html>'
    )
    v = visit(bad)
    assert "console.error: boom" in v.errors
    assert v.requests == ["http://example.invalid/x.png"]
    assert v.scroll_width > v.viewport_width
    good = tmp_path / "good.html"
    good.write_text('<!DOCTYPE html><html><body><svg width="10" height="10"></svg></body></html>')
    v = visit(good)
    assert v.errors == [] and v.requests == [] and v.scroll_width <= v.viewport_width
    assert v.screenshot.startswith(b"\x89PNG")
