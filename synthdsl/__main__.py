from synthdsl.cli import main

main()
