"""`hardware.CpuWatch`: how the machine's CPU time went while a block ran."""

import sys
import time

from {{ cookiecutter.package_name }}.hardware import CpuTimes, CpuUse, CpuWatch

# Kernel 2.6.33+ layout: user nice system idle iowait irq softirq steal guest ...
STAT_LINE = "cpu  {user} 0 {system} {idle} {iowait} 0 {softirq} {steal} 500 0\n"
REST = "cpu0 1 2 3 4 5 6 7 8 9 10\nintr 12345\n"


def write_stat(path, user, system, idle, iowait, softirq, steal) -> None:
    first = STAT_LINE.format(
        user=user, system=system, idle=idle, iowait=iowait, softirq=softirq,
        steal=steal,
    )  # fmt: skip
    path.write_text(first + REST)


def test_the_totals_add_up_busy_idle_and_stolen_time(tmp_path):
    stat = tmp_path / "stat"
    write_stat(stat, user=700, system=200, idle=3000, iowait=40, softirq=60, steal=90)
    # Guest time (500) is already counted in user time: it is not added again.
    assert CpuTimes.read(stat) == CpuTimes(busy=960, idle=3040, stolen=90)


def test_a_watched_block_gets_the_shares_of_the_ticks_it_spanned(tmp_path):
    stat = tmp_path / "stat"
    write_stat(stat, user=100, system=0, idle=100, iowait=0, softirq=0, steal=0)
    with CpuWatch(stat) as watch:
        assert watch.use is None  # known only once the block is over
        # Meanwhile: 50 ticks busy, 30 idle (10 of them waiting for I/O), 20 stolen.
        write_stat(stat, user=140, system=5, idle=120, iowait=10, softirq=5, steal=20)
    assert watch.use == CpuUse(busy=0.5, idle=0.3, stolen=0.2)


def test_blocks_add_up_to_their_ticks_without_the_time_between_them(tmp_path):
    stat = tmp_path / "stat"
    write_stat(stat, user=100, system=0, idle=100, iowait=0, softirq=0, steal=0)
    with CpuWatch(stat) as first:
        write_stat(stat, user=130, system=0, idle=110, iowait=0, softirq=0, steal=0)
    # Between the blocks: 1000 idle ticks, which neither block saw.
    write_stat(stat, user=130, system=0, idle=1110, iowait=0, softirq=0, steal=0)
    with CpuWatch(stat) as second:
        write_stat(stat, user=140, system=0, idle=1140, iowait=0, softirq=0, steal=20)
    assert first.spent == CpuTimes(busy=30, idle=10, stolen=0)
    assert second.spent == CpuTimes(busy=10, idle=30, stolen=20)
    both = first.spent + second.spent
    assert both == CpuTimes(busy=40, idle=40, stolen=20)
    assert both.shares() == CpuUse(busy=0.4, idle=0.4, stolen=0.2)


def test_the_description_says_to_measure_again_when_much_was_stolen():
    quiet = CpuUse(busy=0.9, idle=0.08, stolen=0.02)
    assert quiet.describe() == "90 % busy, 8 % idle, 2 % stolen by the hypervisor"
    busy_host = CpuUse(busy=0.6, idle=0.1, stolen=0.3)
    assert busy_host.describe().endswith(
        "30 % stolen by the hypervisor (measure again on a quieter machine)"
    )


def test_no_tick_or_no_proc_stat_gives_no_shares(tmp_path):
    stat = tmp_path / "stat"
    write_stat(stat, user=1, system=1, idle=1, iowait=0, softirq=0, steal=0)
    with CpuWatch(stat) as unchanged:
        pass
    assert unchanged.use is None
    with CpuWatch(tmp_path / "missing") as elsewhere:
        pass
    assert elsewhere.use is None
    (tmp_path / "other").write_text("intr 1 2 3\n")
    assert CpuTimes.read(tmp_path / "other") is None


def test_this_machine_reports_shares_that_sum_to_one():
    with CpuWatch() as watch:
        started = time.process_time()
        while time.process_time() - started < 0.1:  # ten ticks of work at least
            pass
    if sys.platform == "linux":
        assert watch.use is not None
        assert watch.use.busy > 0
        total = watch.use.busy + watch.use.idle + watch.use.stolen
        assert abs(total - 1) <= 0.002
    else:
        assert watch.use is None
