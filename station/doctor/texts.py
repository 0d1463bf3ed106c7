"""What `station doctor` says, as data: every title, finding and fix in English and Simplified Chinese.

A finding names a text by key and fills its ``{placeholders}`` (paths, errors, groups); both
languages carry the same placeholders (tests/test_doctor.py checks it, and that no key lacks
its Chinese text). Commands, paths and setting names stay as they are in both languages.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["en", "zh"]
LANGS: tuple[Lang, ...] = ("en", "zh")

#: The checks in the order doctor prints them, with their titles.
TITLES: dict[str, dict[Lang, str]] = {
    "devices": {"en": "devices found and readable", "zh": "设备已找到且可读"},
    "groups": {"en": "device group permissions", "zh": "设备用户组权限"},
    "serial": {"en": "serial settings against the profile", "zh": "串口参数与型号配置一致"},
    "disk": {"en": "disk space for photos", "zh": "照片存储空间"},
    "clock": {"en": "clock synchronisation", "zh": "时钟同步"},
    "database": {"en": "database reachable and migrated", "zh": "数据库可连接且已迁移"},
    "s3": {"en": "S3 evidence bucket reachable", "zh": "S3 证据存储桶可访问"},
    "printer": {"en": "label printer answering", "zh": "标签打印机应答"},
    "webhooks": {"en": "platform webhook endpoints answering", "zh": "平台 Webhook 端点应答"},
}

#: The words around the findings.
WORDS: dict[str, dict[Lang, str]] = {
    "fix": {"en": "what to do", "zh": "处理方法"},
    "summary": {"en": "{ok} OK, {warn} WARN, {fail} FAIL",
                "zh": "{ok} 项正常（OK），{warn} 项警告（WARN），{fail} 项失败（FAIL）"},
}

#: What was found (``found`` keys) and what to do about it (``fix`` keys).
TEXTS: dict[str, dict[Lang, str]] = {
    # -- shared ------------------------------------------------------------------------------
    "simulated": {"en": "simulated (devices.simulated = true): no hardware to check",
                  "zh": "模拟设备（devices.simulated = true）：没有需要检查的硬件"},
    "timeout": {"en": "no answer within {seconds} s",
                "zh": "{seconds} 秒内没有应答"},
    "fix.timeout": {
        "en": "The device or server this check talks to does not answer: check that it is switched "
              "on and reachable from this PC, then run `station doctor` again.",
        "zh": "该检查所连接的设备或服务器没有应答：请确认它已开机且本机可以访问，然后重新运行 "
              "`station doctor`。"},
    "crashed": {"en": "the check itself failed: {error}", "zh": "检查本身出错：{error}"},
    "fix.crashed": {
        "en": "Send the output of `station doctor --json` to the station's maintainers.",
        "zh": "请把 `station doctor --json` 的输出发给工作站的维护人员。"},
    # -- devices -----------------------------------------------------------------------------
    "devices.none": {
        "en": "no devices configured (devices.scale_url, devices.scanner_urls, "
              "devices.camera_source, labels.printer_url)",
        "zh": "没有配置任何设备（devices.scale_url、devices.scanner_urls、"
              "devices.camera_source、labels.printer_url）"},
    "fix.devices.none": {
        "en": "Run `station devices list` to see what this PC finds, then set the device paths in "
              "station.toml and devices.simulated = false.",
        "zh": "运行 `station devices list` 查看本机找到的设备，然后在 station.toml 中填写设备路径，"
              "并设置 devices.simulated = false。"},
    "devices.ok": {"en": "{name}: {path} opens", "zh": "{name}：{path} 可以打开"},
    "devices.network": {"en": "{name}: {path} is a network address, not a device node",
                        "zh": "{name}：{path} 是网络地址，不是设备节点"},
    "devices.missing": {"en": "{name}: {path} does not exist", "zh": "{name}：{path} 不存在"},
    "fix.devices.missing": {
        "en": "Plug the {name} in (cable, USB hub, power). `station devices list` shows what this PC "
              "sees: {seen}. If it is there under another path, set {key} to that path.",
        "zh": "请连接{name}（检查线缆、USB 集线器和电源）。`station devices list` 显示本机看到的设备："
              "{seen}。如果它在另一个路径下，请把 {key} 设为该路径。"},
    "devices.unreadable": {"en": "{name}: {path} cannot be opened: {error}",
                           "zh": "{name}：无法打开 {path}：{error}"},
    "fix.devices.unreadable": {
        "en": "Give the service user access: install the udev rules (`station install`), add the "
              "user to the device's group (see the groups check), then unplug and re-plug the "
              "{name}.",
        "zh": "请给服务用户访问权限：安装 udev 规则（`station install`），把该用户加入设备所属的用户组"
              "（见用户组权限检查），然后拔下并重新插上{name}。"},
    # -- groups ------------------------------------------------------------------------------
    "groups.none": {"en": "no device nodes to check", "zh": "没有需要检查的设备节点"},
    "groups.ok": {"en": "{name}: {path} group {group}: user {user} may read and write it",
                  "zh": "{name}：{path} 属于用户组 {group}：用户 {user} 可以读写"},
    "groups.root": {"en": "checked as {user}: root opens every device node",
                    "zh": "以 {user} 身份检查：root 可以打开所有设备节点"},
    "fix.groups.root": {
        "en": "Run `station doctor --user NAME` with the account the bench service runs as, to "
              "check that account's groups.",
        "zh": "请运行 `station doctor --user 用户名`（填写工作站服务运行时使用的账户），检查该账户的用户组。"},
    "groups.no_user": {"en": "there is no user {user} on this PC", "zh": "本机没有用户 {user}"},
    "fix.groups.no_user": {
        "en": "Pass the account the bench service runs as: `station doctor --user NAME` "
              "(`station install` creates it).",
        "zh": "请指定工作站服务运行时使用的账户：`station doctor --user 用户名`（`station install` 会创建它）。"},
    "groups.not_member": {"en": "{name}: {path} belongs to group {group}; user {user} is not in it",
                          "zh": "{name}：{path} 属于用户组 {group}；用户 {user} 不在该组中"},
    "fix.groups.not_member": {
        "en": "Run `sudo usermod -aG {group} {user}`, then restart the bench service (a group "
              "change reaches new processes only).",
        "zh": "请运行 `sudo usermod -aG {group} {user}`，然后重启工作站服务（用户组变更只对新进程生效）。"},
    "groups.mode": {"en": "{name}: {path} has mode {mode}: its group {group} may not read and write",
                    "zh": "{name}：{path} 的权限为 {mode}：用户组 {group} 不能读写"},
    "fix.groups.mode": {
        "en": "Install the station's udev rules (`station install`; they set MODE=\"0660\" and the "
              "group), then unplug and re-plug the {name}.",
        "zh": "请安装工作站的 udev 规则（`station install`；规则会设置 MODE=\"0660\" 和用户组），"
              "然后拔下并重新插上{name}。"},
    # -- serial ------------------------------------------------------------------------------
    "serial.none": {"en": "no serial device configured", "zh": "没有配置串口设备"},
    "serial.ok": {"en": "{name}: {path} at {actual}, as profile {profile} expects",
                  "zh": "{name}：{path} 为 {actual}，与型号配置 {profile} 一致"},
    "serial.mismatch": {"en": "{name}: {path} is set to {actual}; profile {profile} expects {expected}",
                        "zh": "{name}：{path} 设置为 {actual}；型号配置 {profile} 要求 {expected}"},
    "fix.serial.mismatch": {
        "en": "Set the {name}'s interface to {expected} in its setup menu (the profile's manual "
              "says how), or set {key} to the profile that matches the device. Stop any other "
              "program that has {path} open (a terminal program, ModemManager).",
        "zh": "请在{name}的设置菜单中把接口设为 {expected}（方法见型号配置所引用的说明书），或把 {key} "
              "设为与设备相符的型号配置。并关闭其他占用 {path} 的程序（终端程序、ModemManager）。"},
    "serial.idle": {"en": "{name}: {path} is set to {actual} and no program has it open; profile "
                          "{profile} expects {expected}",
                    "zh": "{name}：{path} 设置为 {actual}，且没有程序打开它；型号配置 {profile} 要求 {expected}"},
    "fix.serial.idle": {
        "en": "These are the settings the last program left: the bench sets {expected} when it "
              "opens {path}. Start the bench and run `station doctor` again; if it still differs, "
              "set the {name}'s interface to {expected} or set {key} to the matching profile.",
        "zh": "这是上一个程序留下的设置：工作站打开 {path} 时会设为 {expected}。请启动工作站后重新运行 "
              "`station doctor`；如果仍不一致，请把{name}的接口设为 {expected}，或把 {key} 设为相符的型号配置。"},
    "serial.not_tty": {"en": "{name}: {path} is not a serial port: {error}",
                       "zh": "{name}：{path} 不是串口：{error}"},
    "fix.serial.not_tty": {
        "en": "Set {key} to the {name}'s serial port (a /dev/serial/by-id/... path from "
              "`station devices list`).",
        "zh": "请把 {key} 设为{name}的串口（`station devices list` 列出的 /dev/serial/by-id/... 路径）。"},
    # -- disk --------------------------------------------------------------------------------
    "disk.ok": {"en": "{path}: {free_mb} MB and {free_inodes} inodes free, writable",
                "zh": "{path}：剩余 {free_mb} MB 空间和 {free_inodes} 个 inode，可写"},
    "disk.low": {"en": "{path}: {free_mb} MB free, below the {min_mb} MB floor (evidence.min_free_mb)",
                 "zh": "{path}：剩余 {free_mb} MB，低于下限 {min_mb} MB（evidence.min_free_mb）"},
    "disk.warn": {"en": "{path}: {free_mb} MB free, less than twice the {min_mb} MB floor",
                  "zh": "{path}：剩余 {free_mb} MB，不到下限 {min_mb} MB 的两倍"},
    "fix.disk.low": {
        "en": "Make room on the disk holding {path}: copy the evidence away (`station backup --to "
              "DIR`), remove other files (logs, downloads), or move evidence.photo_dir to a larger "
              "disk. Never delete photos the database names.",
        "zh": "请为 {path} 所在磁盘腾出空间：先把证据备份出去（`station backup --to 目录`），删除其他文件"
              "（日志、下载），或把 evidence.photo_dir 移到更大的磁盘。切勿删除数据库中登记的照片。"},
    "disk.inodes": {"en": "{path}: {free_inodes} inodes free, below {min_inodes}",
                    "zh": "{path}：剩余 {free_inodes} 个 inode，低于 {min_inodes}"},
    "fix.disk.inodes": {
        "en": "The file system holding {path} is running out of file entries (inodes): remove "
              "other small files, or move evidence.photo_dir to a file system with more inodes.",
        "zh": "{path} 所在文件系统的文件条目（inode）快用完了：请删除其他小文件，或把 evidence.photo_dir "
              "移到 inode 更多的文件系统。"},
    "disk.not_writable": {"en": "{path}: a test file cannot be written: {error}",
                          "zh": "{path}：无法写入测试文件：{error}"},
    "fix.disk.not_writable": {
        "en": "Make {path} a folder the service user can write (`sudo chown -R USER {path}`) and "
              "check that its disk is not mounted read-only (`findmnt -T {path}`).",
        "zh": "请确保服务用户可以写入文件夹 {path}（`sudo chown -R 用户名 {path}`），并检查其磁盘没有以只读"
              "方式挂载（`findmnt -T {path}`）。"},
    # -- clock -------------------------------------------------------------------------------
    "clock.ok": {"en": "synchronised ({source})", "zh": "已同步（{source}）"},
    "clock.unsynced": {"en": "not synchronised ({source})", "zh": "未同步（{source}）"},
    "fix.clock.unsynced": {
        "en": "Turn time sync on (`sudo timedatectl set-ntp true`) and check that the NTP server "
              "answers (`timedatectl timesync-status`): audit times and webhook signatures need "
              "the right time.",
        "zh": "请开启时间同步（`sudo timedatectl set-ntp true`），并检查 NTP 服务器是否应答"
              "（`timedatectl timesync-status`）：审计时间和 Webhook 签名都需要正确的时间。"},
    "clock.unknown": {"en": "unknown: neither timedatectl nor {flag} answered",
                      "zh": "未知：timedatectl 和 {flag} 都没有给出结果"},
    "fix.clock.unknown": {
        "en": "Install and turn on systemd-timesyncd (`sudo apt install systemd-timesyncd`, "
              "`sudo timedatectl set-ntp true`), or check your own NTP daemon (`chronyc tracking`).",
        "zh": "请安装并开启 systemd-timesyncd（`sudo apt install systemd-timesyncd`，"
              "`sudo timedatectl set-ntp true`），或检查您自己的 NTP 服务（`chronyc tracking`）。"},
    # -- database ----------------------------------------------------------------------------
    "db.ok": {"en": "{url}: reachable, schema at {revision} (the latest)",
              "zh": "{url}：可以连接，数据库结构为 {revision}（最新）"},
    "db.missing": {"en": "{url}: no database file", "zh": "{url}：数据库文件不存在"},
    "db.empty": {"en": "{url}: reachable but empty (no schema)", "zh": "{url}：可以连接，但为空（没有数据库结构）"},
    "db.outdated": {"en": "{url}: schema at {current}; this software needs {head}",
                    "zh": "{url}：数据库结构为 {current}；本软件需要 {head}"},
    "fix.db.upgrade": {
        "en": "Run `station db upgrade` (it creates the database or brings its schema up to date).",
        "zh": "请运行 `station db upgrade`（创建数据库或把数据库结构升级到最新）。"},
    "db.newer": {"en": "{url}: schema at {current}, which this software does not know (newer?)",
                 "zh": "{url}：数据库结构为 {current}，本软件不认识（更新的版本？）"},
    "fix.db.newer": {
        "en": "Install the station version that made this database; never run an older one "
              "against it.",
        "zh": "请安装创建该数据库的工作站版本；切勿用旧版本连接它。"},
    "db.unreachable": {"en": "{url}: cannot connect: {error}", "zh": "{url}：无法连接：{error}"},
    "fix.db.unreachable": {
        "en": "Check database.url / DATABASE_URL, that the database server is running and "
              "reachable from this PC (host, port, firewall), and its user name and password.",
        "zh": "请检查 database.url / DATABASE_URL、数据库服务器是否在运行且本机可以访问（主机、端口、"
              "防火墙），以及用户名和密码。"},
    # -- s3 ----------------------------------------------------------------------------------
    "s3.ok": {"en": "bucket {bucket} at {endpoint} answers with these credentials",
              "zh": "{endpoint} 上的存储桶 {bucket} 用当前凭据可以访问"},
    "s3.unreachable": {"en": "bucket {bucket} at {endpoint}: {error}",
                       "zh": "{endpoint} 上的存储桶 {bucket}：{error}"},
    "fix.s3.unreachable": {
        "en": "Check evidence.s3_endpoint_url, evidence.s3_bucket and the access keys, that the "
              "bucket exists and that this PC reaches the S3 server (DNS, firewall, proxy). New "
              "photos are refused until it answers.",
        "zh": "请检查 evidence.s3_endpoint_url、evidence.s3_bucket 和访问密钥，确认存储桶存在且本机可以访问 "
              "S3 服务器（DNS、防火墙、代理）。在其应答之前，新照片会被拒绝。"},
    # -- printer -----------------------------------------------------------------------------
    "printer.ok": {"en": "{url}: answered ~HS, ready", "zh": "{url}：已应答 ~HS，就绪"},
    "printer.none": {"en": "no label printer configured (labels.printer_url)",
                     "zh": "没有配置标签打印机（labels.printer_url）"},
    "fix.printer.none": {
        "en": "Set labels.printer_url to tcp://PRINTER-IP:9100, usb:/dev/usb/lp0 or cups:QUEUE.",
        "zh": "请把 labels.printer_url 设为 tcp://打印机IP:9100、usb:/dev/usb/lp0 或 cups:队列名。"},
    "printer.bad": {"en": "labels.printer_url / labels.printer_profile: {error}",
                    "zh": "打印机设置有误（labels.printer_url / labels.printer_profile）：{error}"},
    "fix.printer.bad": {
        "en": "Correct labels.printer_url (tcp://HOST[:PORT], usb:/dev/usb/lpN or cups:QUEUE) and "
              "labels.printer_profile (a file name in firmware_configs/printers/).",
        "zh": "请更正 labels.printer_url（tcp://主机[:端口]、usb:/dev/usb/lpN 或 cups:队列名）和 "
              "labels.printer_profile（firmware_configs/printers/ 中的文件名）。"},
    "printer.offline": {"en": "{error}", "zh": "无法连接打印机：{error}"},
    "fix.printer.offline": {
        "en": "Check that the printer is on and connected (network cable and the IP address on its "
              "configuration label, or the USB cable), then run `station doctor` again.",
        "zh": "请确认打印机已开机并已连接（网线和其配置标签上的 IP 地址，或 USB 线），然后重新运行 "
              "`station doctor`。"},
    "printer.not_ready": {"en": "{url}: answered, but not ready: {problems}",
                          "zh": "{url}：已应答，但未就绪：{problems}"},
    "fix.printer.not_ready": {
        "en": "Fix what the printer reports (load labels, close the print head, press PAUSE to "
              "resume, load ribbon), then run `station doctor` again.",
        "zh": "请处理打印机报告的问题（装入标签纸、合上打印头、按 PAUSE 键恢复、装入碳带），然后重新运行 "
              "`station doctor`。"},
    "printer.no_status": {"en": "{url}: reached through a way that cannot answer ~HS",
                          "zh": "{url}：该连接方式无法应答 ~HS 状态查询"},
    "fix.printer.no_status": {
        "en": "Its state cannot be asked: print one label from the bench to check it, or connect "
              "it by tcp:// or usb: instead.",
        "zh": "无法查询其状态：请在工作台上打印一张标签来检查，或改用 tcp:// 或 usb: 连接。"},
    # -- webhooks ----------------------------------------------------------------------------
    "webhooks.none": {"en": "no enabled webhook endpoint", "zh": "没有已启用的 Webhook 端点"},
    "webhooks.ok": {"en": "{url}: answered HTTP {code}", "zh": "{url}：已应答 HTTP {code}"},
    "webhooks.server_error": {"en": "{url}: answered HTTP {code} (a server error)",
                              "zh": "{url}：应答 HTTP {code}（服务器错误）"},
    "fix.webhooks.server_error": {
        "en": "The platform is reachable but failing: tell the platform's team. Events wait in the "
              "outbox and are sent again.",
        "zh": "平台可以访问但出错：请通知平台团队。事件会保留在发件箱中并重新发送。"},
    "webhooks.unreachable": {"en": "{url}: {error}", "zh": "{url}：无法访问：{error}"},
    "fix.webhooks.unreachable": {
        "en": "Check the endpoint URL (`station webhooks list`), DNS, and the firewall or proxy "
              "between this PC and the platform. Events wait in the outbox until it answers.",
        "zh": "请检查端点 URL（`station webhooks list`）、DNS，以及本机与平台之间的防火墙或代理。"
              "事件会保留在发件箱中，直到平台应答。"},
    "webhooks.no_db": {"en": "not checked: the endpoints are in the database, which cannot be read",
                       "zh": "未检查：端点保存在数据库中，而数据库无法读取"},
    "fix.webhooks.no_db": {"en": "Fix the database check first.", "zh": "请先解决数据库检查中的问题。"},
}


#: Device names as the findings say them (``name`` placeholders); "scanner-2" is "scanner 2".
DEVICE_NAMES: dict[str, dict[Lang, str]] = {
    "scale": {"en": "scale", "zh": "电子秤"},
    "scanner": {"en": "scanner", "zh": "扫描枪"},
    "camera": {"en": "camera", "zh": "摄像头"},
    "printer": {"en": "label printer", "zh": "标签打印机"},
}


def device_name(name: str, lang: Lang) -> str:
    """``scanner-2`` -> "scanner 2" / "扫描枪 2"; an unknown name stays as it is."""
    base, _, number = name.partition("-")
    word = DEVICE_NAMES.get(base, {}).get(lang, base)
    return f"{word} {number}" if number else word


def text(text_key: str, lang: Lang, /, **params: object) -> str:
    """The text of ``text_key`` in ``lang`` with its placeholders filled (a ``name`` in words)."""
    if isinstance(params.get("name"), str):
        params["name"] = device_name(str(params["name"]), lang)
    return TEXTS[text_key][lang].format(**params)
