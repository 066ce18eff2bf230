/*
 * TorchSharp 0.107's libLibTorchSharp.so was linked against GCC 13's libstdc++ and asks for one symbol of version
 * GLIBCXX_3.4.32: std::ios_base_library_init(). GCC 13's <iostream> references it only so that the library's own
 * initialisation of cout/cerr/... is linked in; it computes nothing. Debian 12 ships GCC 12's libstdc++ (up to
 * GLIBCXX_3.4.30), which lacks the symbol, so the library does not load as shipped.
 *
 * This shim provides the symbol, and constructs one std::ios_base::Init (what every translation unit that includes
 * <iostream> does under GCC 12) so the standard streams are initialised exactly as before. Nothing numerical is
 * touched: libtorch itself needs nothing newer than Debian's libstdc++. eng/torchsharp/patch.sh applies it.
 */
extern void _ZNSt8ios_base4InitC1Ev(void *self); /* std::ios_base::Init::Init() */

static char ios_init_object; /* std::ios_base::Init is an empty class: one byte, never destroyed */

void _ZSt21ios_base_library_initv(void) { } /* std::ios_base_library_init() */

__attribute__((constructor)) static void init_streams(void) { _ZNSt8ios_base4InitC1Ev(&ios_init_object); }
