from smscan.cli.main import main

raise SystemExit(main())
