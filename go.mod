module github.com/mongoose-ffi/mongoose-ffi

go 1.26.0

toolchain go1.26.8

tool (
	github.com/magefile/mage
	honnef.co/go/tools/cmd/staticcheck
)

require github.com/ProtonMail/go-crypto v1.5.2

require github.com/CycloneDX/cyclonedx-go v0.12.0

require (
	github.com/coder/websocket v1.8.15
	github.com/ebitengine/purego v0.11.3 // indirect
)

require (
	github.com/BurntSushi/toml v1.4.1-0.20240526193622-a339e1f7089c // indirect
	github.com/cloudflare/circl v1.6.3 // indirect
	github.com/magefile/mage v1.17.2 // indirect
	github.com/mongoose-ffi/mongoose-ffi/binding v0.0.0
	golang.org/x/crypto v0.41.0 // indirect
	golang.org/x/exp/typeparams v0.0.0-20231108232855-2478ac86f678 // indirect
	golang.org/x/mod v0.41.0 // indirect
	golang.org/x/sync v0.23.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/tools v0.51.0 // indirect
	honnef.co/go/tools v0.8.2 // indirect
)

replace github.com/mongoose-ffi/mongoose-ffi/binding => ./binding
