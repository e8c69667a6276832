"""benchmarks.one_core: alternating runs, medians, the enforce/off ratio against its target, into its results file."""

from benchmarks import one_core


def test_one_core_alternates_runs_and_judges_the_median_ratio(monkeypatch, tmp_path, capsys):
    seconds = {"off": iter([1.0, 1.2, 0.9]), "enforce": iter([1.1, 1.0, 5.0])}
    order = []

    def fake_case(records, contract, core):
        order.append(contract)
        return {"seconds": next(seconds[contract]), "cpu_seconds": 1.0}

    monkeypatch.setattr(one_core, "run_case", fake_case)
    monkeypatch.setattr(one_core, "RESULTS", tmp_path / "ONE_CORE.md")
    assert one_core.main(["--records", "100"]) == 0
    assert order == ["off", "enforce"] * 3
    text = (tmp_path / "ONE_CORE.md").read_text()
    assert "| off | 1.00, 1.20, 0.90 | 1.00 |" in text and "| enforce | 1.10, 1.00, 5.00 | 1.10 |" in text
    assert "Enforce / off: **1.10** sync time" in text and "PASS" in text and "--records 100" in text
    assert text in capsys.readouterr().out + "\n"
