#!/usr/bin/python3
"""Independent reference for the lbp-3D image types: PyRadiomics' definition (getLBP3DImage)
computed with numpy and scipy (Debian's python3-scipy), not with vbiopsy.

  /usr/bin/python3 tools/lbp3d_reference.py IMAGE.nrrd LABEL.nrrd [levels radius subdivision] > out.csv

Writes one row per voxel of label 1: x,y,z (ITK index order), the levels' magnitudes m1..mL and
the spherical kurtosis k. The samples on the sphere are read with scipy's cubic spline
(map_coordinates, order 3, outside the image 0) and kept in the image's own type, as PyRadiomics
does (scipy returns the input's dtype). The icosphere is trimesh's: the icosahedron with vertices
(+-1, +-t, 0) and their cyclic permutations scaled to unit length, each subdivision adding the
edge midpoints, every vertex then pushed out to the radius.
"""
import gzip
import sys

import numpy as np
from scipy.ndimage import map_coordinates
from scipy.special import sph_harm
from scipy.stats import kurtosis

NRRD_TYPES = {"short": "<i2", "int": "<i4", "float": "<f4", "double": "<f8",
              "unsigned char": "u1", "uchar": "u1", "ushort": "<u2", "unsigned short": "<u2"}


def read_nrrd(path):
    """A gzip or raw little-endian NRRD as a numpy array indexed [z, y, x] (SimpleITK's order)."""
    with open(path, "rb") as f:
        data = f.read()
    header, body = data.split(b"\n\n", 1)
    fields = {}
    for line in header.decode().splitlines()[1:]:
        if ":" in line and not line.startswith("#"):
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip()
    sizes = [int(s) for s in fields["sizes"].split()]
    if fields.get("encoding") == "gzip":
        body = gzip.decompress(body)
    array = np.frombuffer(body, dtype=NRRD_TYPES[fields["type"]], count=int(np.prod(sizes)))
    return array.reshape(sizes[::-1])


def icosphere(subdivisions, radius):
    t = (1.0 + 5.0 ** 0.5) / 2.0
    vertices = [[-1, t, 0], [1, t, 0], [-1, -t, 0], [1, -t, 0], [0, -1, t], [0, 1, t],
                [0, -1, -t], [0, 1, -t], [t, 0, -1], [t, 0, 1], [-t, 0, -1], [-t, 0, 1]]
    vertices = np.array(vertices, dtype=float) / np.sqrt(2.0 + t)
    faces = [[0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11], [1, 5, 9], [5, 11, 4],
             [11, 10, 2], [10, 7, 6], [7, 1, 8], [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8],
             [3, 8, 9], [4, 9, 5], [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1]]
    for _ in range(subdivisions):
        edges, new_faces, points = {}, [], list(vertices)

        def midpoint(a, b):
            key = (min(a, b), max(a, b))
            if key not in edges:
                edges[key] = len(points)
                points.append((vertices[a] + vertices[b]) / 2)
            return edges[key]

        for a, b, c in faces:
            ab, bc, ca = midpoint(a, b), midpoint(b, c), midpoint(c, a)
            new_faces += [[a, ab, ca], [b, bc, ab], [c, ca, bc], [ab, bc, ca]]
        vertices = np.array(points)
        vertices *= radius / np.linalg.norm(vertices, axis=1)[:, None]
        faces = new_faces
    return vertices


def lbp3d(image, mask, levels, radius, subdivision):
    vertices = icosphere(subdivision, radius)
    theta = np.arccos(vertices[:, 2] / radius)
    phi = np.arctan2(vertices[:, 1], vertices[:, 0])
    harmonics, degree = [], []
    for n in range(levels):
        for m in range(-n, n + 1):
            harmonics.append(sph_harm(m, n, theta, phi))  # scipy's argument order, as PyRadiomics calls it
            degree.append(n)
    Y = np.array(harmonics).T  # (vertices, harmonics)
    degree = np.array(degree)
    roi = np.array(np.where(mask == 1))  # (3, voxels)
    points = roi.T[None, :, :] + vertices[:, None, :]  # (vertices, voxels, 3)
    samples = map_coordinates(image, points.T, order=3)  # (voxels, vertices), image's dtype
    k = kurtosis(samples, axis=1)
    signs = (samples >= image[tuple(roi)][:, None]).astype(int)
    c = signs @ Y  # (voxels, harmonics)
    magnitudes = []
    for n in range(levels):
        along = c[:, degree == n] @ Y[:, degree == n].T  # (voxels, vertices)
        magnitudes.append(np.real(np.sqrt(np.sum(along ** 2, axis=1))))
    return roi, magnitudes, np.real(k)


def main():
    image, mask = read_nrrd(sys.argv[1]), read_nrrd(sys.argv[2])
    levels, radius, subdivision = 2, 1.0, 1
    if len(sys.argv) > 3:
        levels, radius, subdivision = int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    roi, magnitudes, k = lbp3d(image, mask, levels, radius, subdivision)
    print("x,y,z," + ",".join("m%d" % (n + 1) for n in range(levels)) + ",k")
    for i in range(roi.shape[1]):
        values = [m[i] for m in magnitudes] + [k[i]]
        print("%d,%d,%d," % (roi[2, i], roi[1, i], roi[0, i]) + ",".join("%.10g" % v for v in values))


if __name__ == "__main__":
    main()
