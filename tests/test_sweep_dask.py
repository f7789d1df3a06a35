"""The Dask executor gives the same results, replication by replication, as local processes: on
a LocalCluster, and on a real `dask scheduler` + `dask worker` started here as separate
processes on 127.0.0.1, plain and with TLS (temporary certificates; strangers are refused)."""

from __future__ import annotations

import datetime
import ipaddress
import json
import math
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from reesim.cli.main import main  # noqa: E402
from reesim.errors import UsageError  # noqa: E402
from reesim.experiment.dask_executor import DaskExecutor, TlsFiles  # noqa: E402
from reesim.experiment.executors import SerialExecutor  # noqa: E402
from reesim.experiment.store import read_replications  # noqa: E402
from reesim.experiment.sweep import execute_sweep  # noqa: E402
from reesim.experiment.sweepfile import load_sweep  # noqa: E402
from tests.conftest import MINIMAL  # noqa: E402
from tests.test_calibrate import PLANT, observed  # noqa: E402
from tests.test_sweep_run import STOCHASTIC, SWEEP  # noqa: E402

DASK = Path(sys.executable).with_name("dask")
START_TIMEOUT_S = 60


def rows(out: Path) -> list[dict[str, object]]:
    return [
        {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in row.items()}
        for row in read_replications(out).to_pylist()
    ]


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny sweep, and its results in process as the reference."""
    d = tmp_path_factory.mktemp("dask")
    (d / "scenario.yaml").write_text(STOCHASTIC)
    (d / "sweep.yaml").write_text(SWEEP)
    execute_sweep(load_sweep(d / "sweep.yaml"), d / "serial", SerialExecutor(), batch_size=5)
    return d


def test_a_local_cluster_gives_identical_results(sweep_dir: Path) -> None:
    plan = load_sweep(sweep_dir / "sweep.yaml")
    out = sweep_dir / "local-cluster"
    with DaskExecutor(local_workers=2) as executor:
        assert executor.workers == 2
        outcome = execute_sweep(plan, out, executor, workers=2, batch_size=3)
    assert outcome.done == 24 and outcome.failed == 0
    assert rows(out) == rows(sweep_dir / "serial")
    assert (out / "points.csv").read_bytes() == (sweep_dir / "serial/points.csv").read_bytes()


# --- a real scheduler and worker --------------------------------------------------------------
class Cluster:
    """`dask scheduler` and one `dask worker`, as processes of their own on 127.0.0.1."""

    def __init__(self, directory: Path, tls: list[str] | None = None):
        self.dir = directory
        self.tls = tls or []
        self.procs: list[subprocess.Popen[bytes]] = []
        self.address = ""

    def _start(self, name: str, args: list[str]) -> None:
        log = (self.dir / f"{name}.log").open("wb")
        try:
            self.procs.append(subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT))
        finally:
            log.close()

    def __enter__(self) -> Cluster:
        info = self.dir / "scheduler.json"
        info.unlink(missing_ok=True)
        protocol = ["--protocol", "tls"] if self.tls else []
        try:
            self._start(
                "scheduler",
                [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                 "--scheduler-file", str(info), *protocol, *self.tls],
            )  # fmt: skip
            self.address = self._wait_for_address(info)
            self._start(
                "worker",
                [str(DASK), "worker", self.address, "--host", "127.0.0.1", "--nthreads", "1",
                 "--nworkers", "1", "--no-nanny", "--no-dashboard", "--death-timeout", "60",
                 *self.tls],
            )  # fmt: skip
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_for_address(self, info: Path) -> str:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            for proc in self.procs:
                assert proc.poll() is None, (self.dir / "scheduler.log").read_text()
            if info.is_file():
                try:
                    return str(json.loads(info.read_text())["address"])
                except (ValueError, KeyError):
                    pass
            time.sleep(0.1)
        raise TimeoutError(f"no scheduler within {START_TIMEOUT_S} s")

    def __exit__(self, *exc: object) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(self.procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


def wait_for_worker(address: str, tls: TlsFiles | None = None) -> None:
    with DaskExecutor(address, tls=tls, connect_timeout=START_TIMEOUT_S) as executor:
        executor._client.wait_for_workers(1, timeout=START_TIMEOUT_S)


def test_a_scheduler_and_worker_in_processes_of_their_own_give_identical_results(
    sweep_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Cluster(sweep_dir) as cluster:
        assert cluster.address.startswith("tcp://127.0.0.1:")
        wait_for_worker(cluster.address)
        out = sweep_dir / "scheduler"
        argv = ["sweep", str(sweep_dir / "sweep.yaml"), "-o", str(out), "--scheduler",
                cluster.address, "--batch-size", "4"]  # fmt: skip
        code = main(argv)
        _, err = capsys.readouterr()
        assert code == 0, err
    assert rows(out) == rows(sweep_dir / "serial")
    assert json.loads((out / "sweep.json").read_text())["attempts"][0]["executor"] == (
        f"Dask at {cluster.address}"
    )


def plant_and_data(directory: Path, truth: str) -> tuple[Path, Path]:
    """tests/test_calibrate.py's plant scenario, and observations of `truth` to fit it to."""
    scenario, data = directory / "plant.yaml", directory / "obs.csv"
    scenario.write_text(PLANT)
    rows = observed(truth, reps=2)
    data.write_text(
        "date,name,value\n" + "".join(f"{o.date},{o.name},{o.value:.3f}\n" for o in rows)
    )
    return scenario, data


def test_calibrate_on_a_scheduler_gives_the_fit_made_in_this_process(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The same options as sweep: a fit on a cluster's worker equals the fit made here.
    scenario, data = plant_and_data(tmp_path, PLANT.replace("mean: 1000, cv", "mean: 1300, cv"))
    args = ["calibrate", str(scenario), "--data", str(data), "--population", "6",
            "--generations", "2", "-n", "1", "--draws", "2", "-q"]  # fmt: skip
    assert main([*args, "-o", str(tmp_path / "here.json")]) == 0
    with Cluster(tmp_path) as cluster:
        wait_for_worker(cluster.address)
        code = main([*args, "-o", str(tmp_path / "there.json"), "--scheduler", cluster.address])
        _, err = capsys.readouterr()
        assert code == 0, err
    here = json.loads((tmp_path / "here.json").read_text())
    there = json.loads((tmp_path / "there.json").read_text())
    assert there["posterior"] == here["posterior"]
    assert (here["executor"], there["executor"]) == ("in-process", f"Dask at {cluster.address}")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--scheduler", "http://x"], "expected a scheduler address like tcp://host:8786"),
        (["--scheduler", "tcp://x:1", "--dask-local", "2"], "not both"),
        (["--scheduler", "tcp://x:1", "-j", "2"], "-j applies to local processes"),
        (["--tls-ca", "ca.pem"], "expected --scheduler tls://"),
    ],
)
def test_calibrate_takes_cluster_options_as_sweep_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    scenario, data = plant_and_data(tmp_path, PLANT)
    code = main(["calibrate", str(scenario), "--data", str(data), *extra])
    _, err = capsys.readouterr()
    assert code == 2
    assert message in err


# --- TLS --------------------------------------------------------------------------------------
def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def make_ca(directory: Path, name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(_name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    (directory / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def make_cert(
    directory: Path, name: str, ca: tuple[ec.EllipticCurvePrivateKey, x509.Certificate]
) -> TlsFiles:
    """A key and a certificate signed by `ca`, valid for 127.0.0.1 as server and client."""
    ca_key, ca_cert = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH, x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    (directory / f"{name}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _write_key(key, directory / f"{name}.key")
    ca_name = ca_cert.subject.rfc4514_string().removeprefix("CN=")
    return TlsFiles(
        str(directory / f"{ca_name}.pem"),
        str(directory / f"{name}.pem"),
        str(directory / f"{name}.key"),
    )


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TlsFiles]:
    d = tmp_path_factory.mktemp("tls")
    ca, other_ca = make_ca(d, "cluster-ca"), make_ca(d, "stranger-ca")
    return {
        "cluster": make_cert(d, "cluster", ca),
        "client": make_cert(d, "client", ca),
        "stranger": make_cert(d, "stranger", other_ca),
    }


def test_a_tls_cluster_runs_the_sweep_and_refuses_strangers(
    sweep_dir: Path, certificates: dict[str, TlsFiles], capsys: pytest.CaptureFixture[str]
) -> None:
    server, client = certificates["cluster"], certificates["client"]
    tls = ["--tls-ca-file", server.ca, "--tls-cert", server.cert, "--tls-key", server.key]
    with Cluster(sweep_dir, tls) as cluster:
        assert cluster.address.startswith("tls://127.0.0.1:")
        wait_for_worker(cluster.address, client)
        out = sweep_dir / "tls"
        argv = ["sweep", str(sweep_dir / "sweep.yaml"), "-o", str(out), "--scheduler",
                cluster.address, "--tls-ca", client.ca, "--tls-cert", client.cert,
                "--tls-key", client.key]  # fmt: skip
        code = main(argv)
        _, err = capsys.readouterr()
        assert code == 0, err
        assert rows(out) == rows(sweep_dir / "serial")

        # no certificates: refused before connecting
        code = main(["sweep", str(sweep_dir / "sweep.yaml"), "-o", str(sweep_dir / "no-tls"),
                     "--scheduler", cluster.address])  # fmt: skip
        _, err = capsys.readouterr()
        assert code == 2 and "expected --tls-ca, --tls-cert and --tls-key" in err
        # a certificate from another CA: the scheduler refuses the connection
        stranger = TlsFiles(client.ca, certificates["stranger"].cert, certificates["stranger"].key)
        with pytest.raises(UsageError, match="could not connect to the Dask scheduler"):
            DaskExecutor(cluster.address, tls=stranger, connect_timeout=5).start()
        # trusting the cluster but showing no certificate of one's own: refused too
        host, port = cluster.address.removeprefix("tls://").rsplit(":", 1)
        context = ssl.create_default_context(cafile=client.ca)
        with socket.create_connection((host, int(port)), timeout=10) as raw:  # noqa: SIM117
            with pytest.raises((ssl.SSLError, ConnectionError)):
                with context.wrap_socket(raw, server_hostname=host) as conn:
                    conn.sendall(b"hello")
                    if not conn.recv(1):
                        raise ConnectionError("closed by the scheduler")


def test_without_dask_the_message_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, sweep_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    code = main(["sweep", str(sweep_dir / "sweep.yaml"), "-o", str(sweep_dir / "x"),
                 "--dask-local", "2"])  # fmt: skip
    _, err = capsys.readouterr()
    assert code == 2 and "pip install 'reesim[dask]'" in err


@pytest.mark.parametrize(
    "address",
    ["http://x", "x:8786", "tcp://", "tcp://host:port", "tcp://host:99999", "tcp://a b:1", ""],
)
def test_a_scheduler_address_that_is_not_one_is_a_usage_error_at_once(address: str) -> None:
    # Dask raised ValueError (an internal error) for an unknown scheme, and the half-made
    # client then hung for 60 s on exit with a traceback.
    with pytest.raises(UsageError, match="expected a scheduler address like tcp://host:8786"):
        DaskExecutor(address)


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:8786", "tcp://scheduler", "tcp://[::1]:1"])
def test_scheduler_addresses_of_every_form_are_taken(address: str) -> None:
    assert DaskExecutor(address).address == address


def test_sweep_with_a_bad_scheduler_address_exits_2_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(MINIMAL)
    argv = ["sweep", str(scenario), "-o", str(tmp_path / "out"), "--scheduler", "http://x"]
    assert main([*argv, "--vary", "authority.review.capacity=1,2", "-n", "2"]) == 2
    assert "tcp://host:8786 or tls://host:8786, got 'http://x'" in (capsys.readouterr().err)
