from signalroom.cli.app import main

main()
