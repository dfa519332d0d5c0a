from smscan.cli.main import run

run()
