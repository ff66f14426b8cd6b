"""`bianmin-central ...`: set up, serve and administer the central server from a terminal."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from central_api import cli_notify, keys, settings
from central_api.errors import Refusal
from central_api.stores.store import CentralStore
from staff_pages.version import app_version
from sync.errors import DomainError
from sync.events import utc_now
from sync.signing import SigningKey


class Context:
    """The data folder and database a command works on."""

    def __init__(self, home: str, database_url: str | None) -> None:
        self.home = Path(home).resolve()
        self.database_url = database_url or settings.sqlite_url(self.home)

    def store(self) -> CentralStore:
        """Open the database (its schema brought up to date)."""
        self.home.mkdir(parents=True, exist_ok=True)
        # The completion texts an import writes carry the rating link, as the server's do.
        base = str(settings.from_environment()["PUBLIC_BASE_URL"])
        return CentralStore.open(self.database_url, public_base_url=base)

    @contextmanager
    def opened(self) -> Iterator[CentralStore]:
        """Open the database for one command; a refusal becomes a clear message, not a trace."""
        store = self.store()
        try:
            yield store
        except DomainError as error:
            raise click.ClickException(error.message) from None
        finally:
            store.close()

    def key(self) -> SigningKey:
        """Load the central key, making it on first use."""
        return keys.load_or_create(self.home)


pass_context = click.make_pass_decorator(Context)


@click.group()
@click.version_option(app_version(), "--version", "-V", prog_name="bianmin-central",
                      message="%(prog)s %(version)s")  # fmt: skip
@click.option(
    "--home",
    envvar="BIANMIN_CENTRAL_HOME",
    default="data/central",
    show_default=True,
    help="Data folder: central key, SQLite file, blobs.",
)
@click.option(
    "--database-url",
    envvar="DATABASE_URL",
    default=None,
    help="postgresql://user@host:5432/name; default: SQLite in the data folder.",
)
@click.pass_context
def main(ctx: click.Context, home: str, database_url: str | None) -> None:
    """便民 central server."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per migration step is noise
    ctx.obj = Context(home, database_url)


@main.command()
@click.option("--demo", is_flag=True, help="Load the demo org tree, catalogue and users.")
@pass_context
def init(context: Context, demo: bool) -> None:
    """Create the schema and the central key (and the demo data)."""
    from central_api import roles, users
    from central_api.review import publish
    from central_api.stores.assessment_store import published_schemes
    from sync.assessment_scheme import DEFAULT_SCHEME
    from sync.demo_data import read_demo
    from sync.rating_scale import DEFAULT_SCALE

    key = context.key()
    with context.opened() as store:
        click.echo(f"中心密钥指纹 (central key fingerprint): {keys.fingerprint(key.key_id)}")
        with store.reading() as c:
            scales = store.rating_scales(c)
        if not scales:
            # The windows rate on the national five levels until central publishes another scale.
            publish.publish_rating_scale(store, key, DEFAULT_SCALE.to_dict(), utc_now())
            click.echo(f"已发布评价标准 {DEFAULT_SCALE.version}（{DEFAULT_SCALE.name}）")
        with store.reading() as c:
            schemes = published_schemes(c)
        if not schemes:
            # The seed's seven categories, until central publishes its own scheme.
            publish.publish_assessment_scheme(store, key, DEFAULT_SCHEME.to_dict(), utc_now())
            click.echo(f"已发布考核方案 {DEFAULT_SCHEME.version}（{DEFAULT_SCHEME.name}）")
        if demo:
            now = utc_now()
            publish.publish_org_tree(store, key, read_demo("org_tree.json")["units"], now)
            if store.count("catalogue_versions") == 0:
                publish.publish_catalogue(store, key, read_demo("catalogue.json"), now)
            for username, name, role, org, password in users.DEMO_USERS:
                with store.reading() as c:
                    exists = store.user_by_username(c, username)
                if not exists:
                    users.create_user(
                        store,
                        username=username,
                        display_name=name,
                        role=role,
                        org_code=org,
                        password=password,
                        now=now,
                    )
                click.echo(f"  {name} {username} / {password}")
            for username, name, org, department, password in users.DEMO_DEPARTMENT_USERS:
                with store.reading() as c:
                    exists = store.user_by_username(c, username)
                if not exists:
                    users.create_user(
                        store,
                        username=username,
                        display_name=name,
                        role=roles.DEPARTMENT_REVIEWER,
                        org_code=org,
                        password=password,
                        now=now,
                        department=department,
                    )
                click.echo(f"  {name}（{department}）{username} / {password}")


@main.command()
@click.option("--host", default=None, help="Listen address (default: BIANMIN_HOST, 127.0.0.1).")
@click.option(
    "--port",
    type=int,
    default=None,
    help="Port (default: BIANMIN_CENTRAL_PORT, 5090; 0 = any free).",
)
@click.option("--port-file", type=click.Path(dir_okay=False), help="Write the real port here.")
@click.option("--threads", type=int, default=None, help="Threads (default: BIANMIN_THREADS, 8).")
@pass_context
def serve(
    context: Context, host: str | None, port: int | None, port_file: str | None, threads: int | None
) -> None:
    """Serve the central API with waitress."""
    from waitress.server import create_server

    from central_api import create_app

    app = create_app({"CENTRAL_HOME": str(context.home), "DATABASE_URL": context.database_url})
    # The options win over the settings, which are documented as what serve listens on.
    host = host if host is not None else str(app.config["HOST"])
    port = port if port is not None else int(app.config["CENTRAL_PORT"])
    threads = threads if threads is not None else int(app.config["THREADS"])
    app.config["HOST"] = host  # the bound address is a name the pages answer to (Host header)
    if app.config["PUBLIC_BASE_URL"]:
        # The receipts' QR codes follow the address the residents reach: publish it when changed.
        from central_api.review.public_address import publish_public_address as publish
        from sync.public_address import progress_url_of

        try:
            publish(
                app.extensions["central_store"],
                app.extensions["central_key"],
                progress_url_of(str(app.config["PUBLIC_BASE_URL"])),
                utc_now(),
            )
        except DomainError as error:
            raise click.ClickException(f"PUBLIC_BASE_URL：{error.message}") from None
    if int(app.config["NOTIFY_IN_SERVE"]):
        cli_notify.delivery_loop(app.extensions["central_store"], app.config).start()
    if float(app.config["SUPERVISE_INTERVAL_SECONDS"]) > 0:
        cli_notify.supervision_loop(app.extensions["central_store"], app.config).start()
    # Behind PROXY_HOPS trusted proxies, X-Forwarded-For reaches the app (rate_limit reads it
    # through ProxyFix, as under gunicorn); otherwise waitress drops it, as it does by default.
    server = create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        clear_untrusted_proxy_headers=not int(app.config["PROXY_HOPS"]),
        # waitress reads a body 8 KB at a time by default: a batch of scans (a few MB) then takes
        # hundreds of turns of its event loop. Reading 256 KB at a time costs a quarter less CPU.
        recv_bytes=256 * 1024,
    )
    # waitress reports the port it really bound (a string for port 0).
    real_port = int(server.effective_port)  # type: ignore[union-attr]
    if port_file:
        Path(port_file).write_text(str(real_port))
    click.echo(f"便民 central server: http://{host}:{real_port}/", err=True)
    server.run()


@main.command("create-user")
@click.argument("username")
@click.option(
    "--role",
    required=True,
    help="county_reviewer, city_reviewer, supervisor, admin, dept_reviewer or head (审批负责人).",
)
@click.option("--org", "org_code", required=True, help="Division code of the user's unit.")
@click.option("--name", "display_name", default="", help="Name shown on pages.")
@click.option(
    "--department", default="", help="A dept_reviewer's department (部门), e.g. 自然资源 (联审)."
)
@click.password_option(help="At least 10 characters.")
@pass_context
def create_user(
    context: Context,
    username: str,
    role: str,
    org_code: str,
    display_name: str,
    department: str,
    password: str,
) -> None:
    """Create a central user."""
    from central_api import users

    with context.opened() as store:
        users.create_user(
            store,
            username=username,
            display_name=display_name,
            role=role,
            org_code=org_code,
            password=password,
            now=utc_now(),
            department=department,
        )
    click.echo(f"已创建用户 {username}")


@main.command("unlock-user")
@click.argument("username")
@pass_context
def unlock_user(context: Context, username: str) -> None:
    """Unlock a central user locked by failed log-ins (and the addresses that failed as them)."""
    from central_api import users

    with context.opened() as store:
        users.unlock_user(store, username.strip().lower(), by="cli", now=utc_now())
    click.echo(f"已解锁用户 {username}")


@main.command("issue-enrollment-code")
@click.option("--org", "org_code", required=True, help="Division code of the PC's unit.")
@click.option("--hours", type=int, default=72, show_default=True, help="How long it stays valid.")
@click.option("--out", type=click.Path(dir_okay=False), help="Also write just the code here.")
@pass_context
def issue_enrollment_code(context: Context, org_code: str, hours: int, out: str | None) -> None:
    """Issue a one-time enrollment code for a PC of a unit."""
    from central_api.device_api import enrollment

    with context.opened() as store:
        code = enrollment.issue_code(store, org_code, hours=hours, created_by="cli", now=utc_now())
    if out:
        Path(out).write_text(code)
    click.echo(
        f"注册码 (enrollment code): {code}  单位 {org_code}，{hours} 小时内有效，仅可使用一次"
    )
    click.echo(f"中心密钥指纹 (central key fingerprint): {keys.fingerprint(context.key().key_id)}")


@main.command("revoke-device")
@click.argument("device_id")
@click.option("--reason", default="管理员吊销", show_default=True)
@pass_context
def revoke_device(context: Context, device_id: str, reason: str) -> None:
    """Revoke a device: its later bundles are quarantined, every PC learns it from the feed."""
    from central_api.device_api import enrollment

    with context.opened() as store:
        device = enrollment.revoke_device(store, context.key(), device_id, reason, utc_now())
    click.echo(f"已吊销设备 {device_id}，最后有效序号 {device['revoked_after_sequence']}")


@main.command("import")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@pass_context
def import_(context: Context, folder: str) -> None:
    """Import a USB stick's blobs and bundles and write the receipts back onto it."""
    from central_api.usb import usb_import

    with context.opened() as store:
        report = usb_import.import_folder(
            store, context.home, context.key(), Path(folder), utc_now()
        )
    for line in report:
        if "blob" in line:
            click.echo(f"附件 {line['blob'][:12]}… 拒收：{line['error']['message']}")
            continue
        text = f"{line['device_id']} #{line['sequence']}: {line['status']}"
        if line["status"] == "refused":
            text += f" {line['error']['code']} {line['error']['message']}"
        click.echo(text)
    click.echo(f"共 {sum(1 for line in report if 'device_id' in line)} 个案卷包")


@main.command("export-feed")
@click.option("--org", "org_code", required=True)
@click.option("--to", "folder", required=True, type=click.Path(file_okay=False))
@click.option("--after", type=int, default=0, show_default=True)
@pass_context
def export_feed(context: Context, org_code: str, folder: str, after: int) -> None:
    """Write a unit's feed entries onto a USB stick."""
    from central_api.usb import usb_import

    with context.opened() as store:
        written = usb_import.export_feed(store, org_code, Path(folder), after)
    click.echo(f"已写出 {written} 条下发内容")


@main.command("enroll-file")
@click.argument("request_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), help="Write the answer to this file.")
@click.option(
    "--usb",
    "stick",
    type=click.Path(file_okay=False),
    help="Write the answer and the unit's feed onto this USB folder (one trip back).",
)
@pass_context
def enroll_file(context: Context, request_file: str, out: str | None, stick: str | None) -> None:
    """Answer an enrollment request brought on a file (a PC that never sees the network)."""
    from central_api.device_api import enrollment
    from central_api.usb import usb_import
    from sync import usb
    from sync.signing import strict_loads

    if not out and not stick:
        raise click.UsageError("需要 --out（答复文件）或 --usb（U 盘文件夹），或两者都给。")
    with context.opened() as store:
        try:
            answer = enrollment.enroll(
                store, context.key(), strict_loads(Path(request_file).read_bytes()), utc_now()
            )
        except Refusal as error:
            raise click.ClickException(f"{error.code}: {error.message}") from None
        text = json.dumps(answer, ensure_ascii=False, indent=1)
        if out:
            Path(out).write_text(text)
            click.echo(f"已登记设备 {answer['device_id']}，应答已写入 {out}")
        if stick:
            folder = Path(stick)
            usb.write_enrollment_answer(folder, answer["device_id"], text.encode())
            written = usb_import.export_feed(store, answer["org_code"], folder)
            click.echo(
                f"已登记设备 {answer['device_id']}：注册答复和 {written} 条下发内容已写到 {stick}，"
                "在乡镇电脑上导入（bianmin-township import）即完成注册并装好单位、事项目录。"
            )


@main.command()
@pass_context
def verify(context: Context) -> None:
    """Verify every stored bundle again against its device's key."""
    from central_api.audit import verify_stored_bundles

    with context.opened() as store:
        checked, problems = verify_stored_bundles(store)
    for problem in problems:
        click.echo(
            f"校验失败 {problem.device_id} #{problem.sequence} {problem.bundle_hash[:12]}…: "
            f"{problem.reason}"
        )
    click.echo(f"已校验 {checked} 个案卷包，{len(problems)} 个有问题")
    if problems:
        raise SystemExit(1)


@main.command()
@click.argument("case_number")
@click.option("--approve", "outcome", flag_value="approved", help="Approve (document number).")
@click.option("--refuse", "outcome", flag_value="refused", help="Refuse (reasons).")
@click.option("--return", "outcome", flag_value="returned", help="Return for a supplement.")
@click.option("--document-number", default="")
@click.option("--reasons", default="")
@click.option("--missing", default="", help='Missing materials, separated by ";".')
@click.option("--by-org", required=True, help="Division code of the deciding unit.")
@click.option("--actor", required=True, help="Who decides.")
@pass_context
def decide(
    context: Context,
    case_number: str,
    outcome: str | None,
    document_number: str,
    reasons: str,
    missing: str,
    by_org: str,
    actor: str,
) -> None:
    """Decide a forwarded case (approve, refuse or return); the decision goes down in the feed."""
    from central_api.review import decisions

    if outcome is None:
        raise click.UsageError("请选择 --approve、--refuse 或 --return 之一。")
    with context.opened() as store:
        if outcome == "returned":
            event = decisions.return_case(
                store,
                context.key(),
                case_number,
                missing=missing.split(";"),
                by_org=by_org,
                actor=actor,
                now=utc_now(),
            )
        else:
            event = decisions.decide_case(
                store,
                context.key(),
                case_number,
                outcome=outcome,
                document_number=document_number,
                reasons=reasons,
                by_org=by_org,
                actor=actor,
                now=utc_now(),
            )
    click.echo(f"办件 {case_number}：{event.type}（中心事件 #{event.writer_seq}）")


def _read_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise click.ClickException(f"无法读取 {path}：{error}") from None


_RECOUNT_HINT = "请运行 bianmin-central recount-figures，按新的规则重新统计好差评数字和回访清单。"


@main.command("publish-public-address")
@click.option("--url", default="", help="Public base address (default: BIANMIN_PUBLIC_BASE_URL).")
@pass_context
def publish_public_address(context: Context, url: str) -> None:
    """Publish the public progress page's address the receipts print to every PC."""
    from central_api.review.public_address import publish_public_address as publish
    from sync.public_address import progress_url_of

    base = url or str(settings.from_environment()["PUBLIC_BASE_URL"])
    if not base:
        raise click.ClickException("请用 --url 或 BIANMIN_PUBLIC_BASE_URL 给出群众访问中心的地址。")
    with context.opened() as store:
        serial = publish(store, context.key(), progress_url_of(base), utc_now())
    if serial is None:
        click.echo(f"群众查询网址 {progress_url_of(base)} 已发布过，未改变")
    else:
        click.echo(f"已发布群众查询网址第 {serial} 版：{progress_url_of(base)}")


@main.command("publish-calendar")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@pass_context
def publish_calendar(context: Context, file: str) -> None:
    """Publish one year's working-day calendar to every PC."""
    from central_api.review import publish

    with context.opened() as store:
        calendar = publish.publish_calendar(store, context.key(), _read_json(file), utc_now())
    click.echo(f"已发布 {calendar.year} 年工作日历第 {calendar.version} 版")
    click.echo(_RECOUNT_HINT)  # the 差评 tasks' due days follow the calendar after a recount


@main.command("publish-catalogue")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@pass_context
def publish_catalogue(context: Context, file: str) -> None:
    """Publish a catalogue version to every PC."""
    from central_api.review import publish

    with context.opened() as store:
        serial = publish.publish_catalogue(store, context.key(), _read_json(file), utc_now())
    click.echo(f"已发布事项目录（序号 {serial}）")


@main.command("publish-rating-scale")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@pass_context
def publish_rating_scale(context: Context, file: str) -> None:
    """Publish a rating scale (好差评: levels best to worst, reasons) to every PC."""
    from central_api.review import publish

    with context.opened() as store:
        with store.reading() as c:
            before = store.newest_rating_scale(c)
        serial = publish.publish_rating_scale(store, context.key(), _read_json(file), utc_now())
        with store.reading() as c:
            after = store.newest_rating_scale(c)
    click.echo(f"已发布评价标准（序号 {serial}）")
    if before and after and before.callback_sample_percent != after.callback_sample_percent:
        # The sample is drawn with the newest share: the kept figures and the queue follow it
        # only after a recount.
        click.echo(_RECOUNT_HINT)


@main.command("publish-assessment-scheme")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@pass_context
def publish_assessment_scheme(context: Context, file: str) -> None:
    """Publish an assessment scheme (考核方案: categories, indicators, points, formulas) to every PC."""
    from central_api.review import publish

    with context.opened() as store:
        serial = publish.publish_assessment_scheme(
            store, context.key(), _read_json(file), utc_now()
        )
    click.echo(f"已发布考核方案（序号 {serial}）")


@main.command("recount-figures")
@pass_context
def recount_figures(context: Context) -> None:
    """Rebuild the casework and 好差评 figures and the 差评 and callback lists from every case."""
    with context.opened() as store:
        done = store.recount_figures()
    click.echo(
        f"已重新统计：{done['case_figures']} 项办件统计数，{done['figures']} 项好差评统计数，"
        f"{done['tasks']} 条差评整改，"
        f"{done['candidates']} 件待抽样回访；原统计表中有 {done['wrong']} 项与重新统计不符。"
    )


@main.command("publish-supervision-rules")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@pass_context
def publish_supervision_rules(context: Context, file: str) -> None:
    """Publish the thresholds of supervision's warnings (电子监察预警) to every PC."""
    from central_api.review import publish

    with context.opened() as store:
        serial = publish.publish_supervision_rules(
            store, context.key(), _read_json(file), utc_now()
        )
    click.echo(f"已发布监察预警规则（序号 {serial}）")


@main.command()
@pass_context
def devices(context: Context) -> None:
    """List the enrolled devices with status, last sequence, last seen and clock offset."""
    with context.opened() as store:
        rows = store.devices()
    for d in rows:
        skew = "-" if d["last_skew_seconds"] is None else f"{d['last_skew_seconds']}s"
        click.echo(
            f"{d['device_id']}  {d['org_code']}-{d['device_code']}  {d['status']:<11}  "
            f"#{d['last_sequence']}  seen {d['last_seen_at'] or '-'}  skew {skew}  {d['label']}"
        )


@main.command()
@click.option(
    "--today",
    "today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Judge the deadlines as on this day (China), not today.",
)
@pass_context
def alerts(context: Context, today: datetime | None) -> None:
    """List the alerts for the admins, newest first, then the overdue work by unit."""
    from central_api.cli_notify import china_noon
    from central_api.review.supervision import overdue_work, stage_label

    with context.opened() as store:
        rows = store.alerts()
        overdue = overdue_work(store, china_noon(today))
        names = {u["code"]: u["name"] for u in store.org_units()}
    for a in rows:
        click.echo(f"{a['at']}  {a['kind']:<14}  {a['device_id'] or '-'}  {a['message']}")
    count = sum(len(warnings) for _, warnings in overdue)
    if not count:
        click.echo("没有超期的办件。")
        return
    click.echo(f"超期 {count} 项（按责任单位）：")
    for unit, warnings in overdue:
        click.echo(f"  {names.get(unit, unit)}（{unit}）：{len(warnings)} 项")
        for w in warnings:
            click.echo(
                f"    {w.case_number}  {stage_label(w.stage)}  到期 {w.due_on or '-'}  "
                f"责任人 {w.person or '-'}  {w.message}"
            )


main.add_command(cli_notify.notify)
main.add_command(cli_notify.notifications)
main.add_command(cli_notify.supervise)

if __name__ == "__main__":
    main()
