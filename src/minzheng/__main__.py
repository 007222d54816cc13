from minzheng.cli import main

main()
