from scaletui.cli import main

raise SystemExit(main())
