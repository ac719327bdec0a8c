package mongoose

import (
	"github.com/mongoose-ffi/mongoose-ffi/build/source"
	"github.com/mongoose-ffi/mongoose-ffi/openssl"
)

// Expected is what the manifest of a library built from this checkout
// says about its inputs (versions, the ABI and the sources' hashes), without
// building: a prebuilt library is checked against it.
func Expected() (Manifest, error) {
	pin, err := Pin()
	if err != nil {
		return Manifest{}, err
	}
	osslPin, err := openssl.Pin()
	if err != nil {
		return Manifest{}, err
	}
	return Manifest{Mongoose: pin.Version, OpenSSL: osslPin.Version, ABI: sum(glueH), Inputs: inputs(pin)}, nil
}

// inputs are the sha256 of every source compiled into the library: mongoose's
// and every file of csrc/, by name.
func inputs(pin *source.Pin) map[string]string {
	in := glueSums()
	in["mongoose.c"], in["mongoose.h"] = pin.File("mongoose.c").SHA256, pin.File("mongoose.h").SHA256
	return in
}
