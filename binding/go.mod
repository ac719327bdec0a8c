module github.com/mongoose-ffi/mongoose-ffi/binding

go 1.26.0

toolchain go1.26.8

require github.com/ebitengine/purego v0.11.3
