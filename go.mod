module github.com/esxi-autopart/esxi-autopart

go 1.26.8

require (
	github.com/diskfs/go-diskfs v1.9.4
	github.com/kdomanski/iso9660 v0.4.0
	github.com/klauspost/compress v1.18.5
	github.com/spf13/pflag v1.1.0
	github.com/ulikunitz/xz v0.5.17
	github.com/vbauerster/mpb/v8 v8.16.2
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/sys v0.50.0
)

require (
	github.com/VividCortex/ewma v1.2.0 // indirect
	github.com/acarl005/stripansi v0.0.0-20180116102854-5a71ef0e047d // indirect
	github.com/clipperhouse/uax29/v2 v2.7.0 // indirect
	github.com/elliotwutingfeng/asciiset v0.0.0-20260129054604-cfde2086bc57 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/mattn/go-runewidth v0.0.30 // indirect
	github.com/stretchr/testify v1.10.0 // indirect
	github.com/vbauerster/cupwriter v0.0.5 // indirect
)
