from bench import machine


def test_other_cores_is_machine_busy_time_minus_ours():
    before, after = (100.0, 10.0), (160.0, 60.0)     # machine +60 s, ours +50 s
    assert machine.other_cores(before, after, wall_seconds=20) == 0.5
    assert machine.other_cores(before, (150.0, 70.0), wall_seconds=20) == 0.0


def test_describe_names_the_stack():
    info = machine.describe()
    assert info["cores"] >= 1 and info["switchyard_packages"]["gunicorn"]
