"""The refresh benchmark runs end to end at a small N and reports what it measured."""

from benchmarks import refresh as benchmark


def test_the_refresh_benchmark_reports_both_syncs_and_the_state_sizes(tmp_path, capsys):
    output = tmp_path / "REFRESH.md"
    assert benchmark.main(["--records", "300", "--output", str(output), "--engine"]) == 0
    text = output.read_text()
    assert "| 300 | first sync: full refresh, all ids new |" in text and "| 300 | tail sync right after |" in text
    tail = next(line for line in text.splitlines() if "tail sync right after" in line).split("|")
    assert tail[4].strip() == "1" and int(tail[7].replace(",", "")) > 300 * 20  # one request; ~29 bytes an id
    off = next(line for line in text.splitlines() if "full refresh, detect_deletes false" in line).split("|")
    assert int(off[7].replace(",", "")) < 200
    assert "first sync through the engine, detect_deletes true" in text and "At the bound: 120,000" in text
