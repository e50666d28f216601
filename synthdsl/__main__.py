from synthdsl._entry import main

main()
