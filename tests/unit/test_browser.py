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


def test_print_emulation_applies_print_css_and_beforeprint(tmp_path):
    page = tmp_path / "print.html"
    page.write_text(
        "<!DOCTYPE html><html><head><style>@media print{.wide{width:3000px}}</style>"
        '<script>addEventListener("beforeprint",function(){'
        'document.querySelectorAll("details").forEach(function(d){d.open=true})})</script>'
        '</head><body><div class="wide">x</div><details><summary>s</summary>hidden</details>'
        "</body></html>"
    )
    screen = visit(page)
    assert screen.scroll_width <= screen.viewport_width and screen.closed_details == 1
    printed = visit(page, media="print")
    assert printed.media == "print"
    assert printed.scroll_width > printed.viewport_width  # the print-only rule applied
    assert printed.closed_details == 0  # beforeprint opened the <details>
