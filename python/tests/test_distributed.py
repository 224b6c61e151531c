"""DistributedPipeline, DistributedConfig and DistributedClient on the real C
coordinator and workers (embedded in this process, and as separate processes)."""
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import auralith_pipeline

from auralith_pipeline import (AuralithError, ConfigError, ConnectError, InvalidRequestError, NoFilesError,
                               NotFoundError)
from auralith_pipeline.distributed import (ConfigNotFoundError, DistributedClient, DistributedConfig,
                                           DistributedPipeline, JobConfig)
from auralith_pipeline.shards import ShardReader
from conftest import DATA, HERE
from fleet import Fleet

RAW = os.path.join(DATA, "pipeline", "raw")
TOK = os.path.join(DATA, "pipeline", "tokenizers")
# Child interpreters import the same auralith_pipeline as this one (installed or not).
PY_ENV = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(auralith_pipeline.__file__)))


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    f = Fleet(str(tmp_path_factory.mktemp("fleet")), workers=2)
    with DistributedClient(f.address) as c:
        f.wait_workers(c, 2)
    yield f
    f.stop()


@pytest.fixture(scope="module")
def idle_fleet(tmp_path_factory):
    """A coordinator without workers: submitted jobs stay pending."""
    f = Fleet(str(tmp_path_factory.mktemp("idle")), workers=0)
    yield f
    f.stop()


def test_guide_example_runs_unchanged(tmp_path):
    shutil.copytree(os.path.join(RAW, "sub"), tmp_path / "data" / "raw")
    shutil.copy(os.path.join(RAW, "notes.txt"), tmp_path / "data" / "raw")
    shutil.copytree(TOK, tmp_path / "tokenizers")
    r = subprocess.run([sys.executable, os.path.join(HERE, "guide_example.py")], cwd=tmp_path, env=PY_ENV,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "Status:    completed\n" in r.stdout
    assert "Tasks:     1/1\n" in r.stdout and "Failed:    0\n" in r.stdout
    assert "Elapsed:   " in r.stdout
    assert len(ShardReader(tmp_path / "shards")) == len(os.listdir(tmp_path / "data" / "raw"))


def test_embedded_run_counts_progress_and_shards(tmp_path):
    events, submitted = [], []
    p = DistributedPipeline(JobConfig(name="py-embedded"), embedded=True, num_workers=2)
    r = p.run(RAW, tmp_path / "out", TOK, max_seq_len=64, shard_size=8, files_per_task=4,
              progress=events.append, on_submitted=lambda *a: submitted.append(a))
    assert r["status"] == "completed" and r["interrupted"] is False
    assert (r["total_tasks"], r["completed_tasks"], r["failed_tasks"]) == (11, 11, 0)
    # 20 text and code rows plus 13 image, audio and video rows (TOK has media tokenizers).
    assert r["files"] == 43 and r["samples"] == 33 and r["tokens"] > 0 and r["elapsed_seconds"] > 0
    assert r["job_id"] and r["coordinator"] is None and r["errors"] == []
    assert submitted == [(r["job_id"], 43, 11)]
    assert events and events[-1]["status"] == "completed" and events[-1]["completed_tasks"] == 11
    assert events[-1]["name"] == "py-embedded"
    reader = ShardReader(tmp_path / "out", verify=True)
    assert len(reader) == 33 and reader.index.job_id == r["job_id"]


def test_progress_callback_exception_cancels_embedded_job(tmp_path):
    def boom(job):
        raise RuntimeError("stop here")

    p = DistributedPipeline(JobConfig(), embedded=True, num_workers=1)
    with pytest.raises(RuntimeError, match="stop here"):
        p.run(RAW, tmp_path / "o", TOK, max_seq_len=64, files_per_task=1, progress=boom)


def test_errors_raise_with_the_c_message(tmp_path):
    (tmp_path / "empty").mkdir()
    p = DistributedPipeline(JobConfig(), embedded=True, num_workers=1)
    with pytest.raises(NoFilesError, match="No files found in") as e:
        p.run(tmp_path / "empty", tmp_path / "o", TOK)
    assert isinstance(e.value, FileNotFoundError) and isinstance(e.value, AuralithError)
    with pytest.raises(TypeError, match="unexpected option"):
        p.run(RAW, tmp_path / "o", TOK, colour="blue")
    with pytest.raises(ConnectError, match="cannot connect to coordinator 127.0.0.1:1") as e:
        DistributedClient("127.0.0.1:1")
    assert isinstance(e.value, ConnectionError) and e.value.code == 101
    with pytest.raises(ConnectError, match="cannot connect to coordinator 127.0.0.1:1"):
        DistributedPipeline(JobConfig(), coordinator="127.0.0.1:1").run(RAW, tmp_path / "o", TOK)
    with pytest.raises(InvalidRequestError):
        DistributedClient("no-port-here")


def test_config_through_the_c_loader(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("coordinator:\n  port: 8080\n  heartbeat_interval: soon\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:3:23: key 'coordinator\.heartbeat_interval'") as e:
        DistributedConfig.from_yaml(bad)
    assert isinstance(e.value, ValueError)
    with pytest.raises(ConfigError, match=r"bad\.yaml:3:23"):
        DistributedPipeline(JobConfig(), str(bad))
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("job:\n  nmae: x\n")
    with pytest.raises(ConfigError, match=r"unknown\.yaml:2:3: .*nmae"):
        DistributedConfig.from_yaml(unknown)
    with pytest.raises(ConfigNotFoundError) as e:
        DistributedConfig.from_yaml(tmp_path / "missing.yaml")
    assert isinstance(e.value, FileNotFoundError) and "missing.yaml" in str(e.value)
    # a config that breaks between loading and running still names its position
    good = tmp_path / "good.yaml"
    good.write_text("job:\n  name: from-file\n")
    cfg = DistributedConfig.from_yaml(good)
    assert cfg.job.name == "from-file" and cfg.coordinator.port == 8080 and cfg.coordinator.options["strategy"]
    good.write_text("job:\n  name: [x]\n")
    with pytest.raises(ConfigError, match=r"good\.yaml:2:9"):
        DistributedPipeline(None, cfg, embedded=True).run(RAW, tmp_path / "o", TOK)


def test_yaml_round_trip(tmp_path):
    # the original's test: to_yaml then from_yaml keeps these
    cfg = DistributedConfig.from_yaml(os.path.join(os.path.dirname(DATA), "..", "configs", "distributed.yaml"))
    cfg.coordinator.host, cfg.coordinator.port, cfg.job.name = "10.0.0.1", 9090, "round-trip"
    cfg.to_yaml(tmp_path / "sub" / "rt.yaml")
    again = DistributedConfig.from_yaml(tmp_path / "sub" / "rt.yaml")
    assert (again.coordinator.host, again.coordinator.port, again.job.name) == ("10.0.0.1", 9090, "round-trip")
    assert [w.name for w in again.workers] == [w.name for w in cfg.workers] and len(again.workers) == 1
    assert again.workers[0].worker_ids == cfg.workers[0].worker_ids


def test_external_run_and_client_calls(fleet, tmp_path):
    seen = []
    p = DistributedPipeline(JobConfig(name="py-external"), coordinator=fleet.address)
    r = p.run(RAW, tmp_path / "out", TOK, max_seq_len=64, shard_size=8, files_per_task=4, progress=seen.append)
    assert r["status"] == "completed" and (r["total_tasks"], r["completed_tasks"]) == (11, 11)
    assert r["samples"] == 33 and r["coordinator"] == fleet.address and seen
    with DistributedClient(fleet.address) as c:
        ws = c.list_workers()
        assert sorted(w["id"] for w in ws) == ["w0", "w1"]
        assert all(w["status"] == "active" and 0 <= w["cpu_usage"] for w in ws)
        assert sum(w["tasks_completed"] for w in ws) >= 11
        job = c.get_job(r["job_id"])
        assert job["id"] == r["job_id"] and job["status"] == "completed" and job["name"] == "py-external"
        assert (job["total_tasks"], job["completed_tasks"], job["failed_tasks"]) == (11, 11, 0)
        assert c.get_metrics(r["job_id"]) == {"total_tasks": 11, "completed_tasks": 11, "failed_tasks": 0,
                                              "throughput": 100.0, "error_rate": 0.0}
        assert any(j["id"] == r["job_id"] for j in c.list_jobs())
        task = c.get_task(r["job_id"] + "-000000")
        assert task["status"] == "completed" and task["files"] == 4 and task["attempts"] >= 1
        with pytest.raises(NotFoundError, match="job not found: nope") as e:
            c.get_job("nope")
        assert isinstance(e.value, ValueError)
        with pytest.raises(InvalidRequestError):
            c.cancel_job(r["job_id"])  # already finished
        assert c.server_info["address"] == fleet.address
    assert c.closed
    with pytest.raises(ValueError, match="closed"):
        c.list_workers()
    c.close()  # idempotent


def test_detach_then_cancel_from_the_client(idle_fleet, tmp_path):
    p = DistributedPipeline(JobConfig(), coordinator=idle_fleet.address)
    r = p.run(RAW, tmp_path / "o", TOK, detach=True)
    assert r["status"] == "detached" and r["job_id"]
    with DistributedClient(idle_fleet.address) as c:
        assert c.get_job(r["job_id"])["status"] in ("pending", "running")
        c.cancel_job(r["job_id"])
        # final once its manifest is written (off the coordinator's loop): moments later
        deadline = time.monotonic() + 10
        while c.get_job(r["job_id"])["status"] != "cancelled" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert c.get_job(r["job_id"])["status"] == "cancelled"


def test_ctrl_c_detaches_an_external_run(idle_fleet, tmp_path):
    script = textwrap.dedent(f"""
        import sys
        from auralith_pipeline.distributed import DistributedPipeline, JobConfig
        p = DistributedPipeline(JobConfig(), coordinator={idle_fleet.address!r})
        def submitted(job_id, files, tasks):
            print("SUBMITTED", job_id, flush=True)
        try:
            p.run({RAW!r}, {str(tmp_path / "o")!r}, {TOK!r}, on_submitted=submitted)
        except KeyboardInterrupt as e:
            print("INTERRUPTED", e.result["status"], e.result["job_id"], str(e), flush=True)
            sys.exit(7)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], env=PY_ENV, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    assert line.startswith("SUBMITTED "), child.stderr.read()
    job_id = line.split()[1]
    time.sleep(0.2)
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=20)
    assert child.returncode == 7, err
    assert out.startswith(f"INTERRUPTED detached {job_id} interrupted: detached from job {job_id}")
    with DistributedClient(idle_fleet.address) as c:  # the job goes on
        assert c.get_job(job_id)["status"] in ("pending", "running")
        c.cancel_job(job_id)


def test_ctrl_c_cancels_an_embedded_run(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for i in range(300):
        (raw / f"f{i:03d}.txt").write_text(f"document number {i} " * 20)

    def interrupt(job_id, files, tasks):
        os.kill(os.getpid(), signal.SIGINT)  # as a terminal's Ctrl-C would, mid-run

    p = DistributedPipeline(JobConfig(), embedded=True, num_workers=1)
    with pytest.raises(KeyboardInterrupt) as e:
        p.run(raw, tmp_path / "o", TOK, max_seq_len=64, files_per_task=1, on_submitted=interrupt)
    r = e.value.result
    assert r["status"] == "cancelled" and r["interrupted"] is True and r["total_tasks"] == 300
    assert str(e.value) == f"interrupted: job {r['job_id']} cancelled"
    assert r["completed_tasks"] < 300
    # Python's own handler is back: a later Ctrl-C is an ordinary KeyboardInterrupt.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
