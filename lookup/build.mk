# lookup/: types only (the images Kilt must know and the ImageSource seam, with its test fake); nothing to
# build. Both headers are public: they are the interface between patcher/, registry/ and their users.
PUBLIC_HEADERS += lookup/image_source.h lookup/fake_image_source.h
