package vc

import (
	"encoding/binary"
	"hash"
	"hash/fnv"
	"math"
	"reflect"
	"sort"
	"time"
)

// fingerprint is a digest of a property value as a client would see it: every field,
// array element and the dynamic type of every interface value (so a VirtualE1000 and
// a VirtualVmxnet3 with equal fields differ). The property collector keeps the
// fingerprints of what it last sent instead of the values themselves, which the
// simulator may change in place.
type fingerprint [16]byte

var timeType = reflect.TypeOf(time.Time{})

func fingerprintOf(val interface{}) fingerprint { return fpValue(reflect.ValueOf(&val).Elem()) }

func fpWalk(h hash.Hash, v reflect.Value) {
	var num [9]byte
	put := func(tag byte, n uint64) {
		num[0] = tag
		binary.LittleEndian.PutUint64(num[1:], n)
		h.Write(num[:])
	}
	if !v.IsValid() {
		put('0', 0)
		return
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			put('0', 0)
			return
		}
		name := v.Elem().Type().String()
		put('i', uint64(len(name)))
		h.Write([]byte(name))
		fpWalk(h, v.Elem())
	case reflect.Ptr:
		if v.IsNil() {
			put('0', 0)
			return
		}
		put('p', 0)
		fpWalk(h, v.Elem())
	case reflect.Struct:
		if v.Type() == timeType && v.CanInterface() {
			t := v.Interface().(time.Time)
			put('t', uint64(t.UnixNano()))
			return
		}
		put('{', uint64(v.NumField()))
		for i := 0; i < v.NumField(); i++ {
			fpWalk(h, v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			put('0', 0)
			return
		}
		put('[', uint64(v.Len()))
		for i := 0; i < v.Len(); i++ {
			fpWalk(h, v.Index(i))
		}
	case reflect.Map:
		put('m', uint64(v.Len()))
		type kv struct{ k, v fingerprint }
		var pairs []kv
		for _, k := range v.MapKeys() {
			pairs = append(pairs, kv{fpValue(k), fpValue(v.MapIndex(k))})
		}
		sort.Slice(pairs, func(i, j int) bool { return string(pairs[i].k[:]) < string(pairs[j].k[:]) })
		for _, p := range pairs {
			h.Write(p.k[:])
			h.Write(p.v[:])
		}
	case reflect.String:
		s := v.String()
		put('s', uint64(len(s)))
		h.Write([]byte(s))
	case reflect.Bool:
		b := uint64(0)
		if v.Bool() {
			b = 1
		}
		put('b', b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		put('n', uint64(v.Int()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		put('u', v.Uint())
	case reflect.Float32, reflect.Float64:
		put('f', math.Float64bits(v.Float()))
	default: // channels, functions: not in vSphere data objects
		put('?', uint64(v.Kind()))
	}
}

func fpValue(v reflect.Value) fingerprint {
	h := fnv.New128a()
	fpWalk(h, v)
	var f fingerprint
	copy(f[:], h.Sum(nil))
	return f
}
