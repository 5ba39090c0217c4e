module example.com/demo

go 1.22

require (
	github.com/spf13/cobra v1.8.1
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
)
